"""Administration: users and invitations, Träger, Sozialräume, Ortsteile, legal pages."""
