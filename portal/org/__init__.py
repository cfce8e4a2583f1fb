"""The organisation: Sozialräume, Ortsteile and Träger (maintained in /admin/)."""
