"""OParl 1.1 interface (https://oparl.org/spezifikation/) under ``/oparl/v1/``: the AGs 78 of the
Jugendamt as a council information system sees them.

System -> Body (the Jugendamt) -> lists of Organization (each AG, each Träger as Institution),
Person, Membership, Meeting, AgendaItem, Paper (always empty: the portal has no
Beschlussvorlagen), File (Anlagen) and Location. Every object has its own URL.

Anonymous access is stateless (no session cookie is read or written, see
``portal.security.PortalSessionInterface``) and shows only public content: öffentliche TOPs of
meetings whose minutes are published. A member's own client sends a personal API token
(``Authorization: Bearer …``, Mein Konto → API-Zugänge) and sees what the member sees in the portal.
"""
