"""Benachrichtigungen: the portal tells each person what waits for them, in the portal and by e-mail.

Listeners (``listeners.py``) hear the domain events of ``portal.signals`` and write notifications
and outbox mails inside the operation's transaction; ``mail.py`` sends the outbox over SMTP and
builds the digests (``flask --app portal mail send`` / ``mail digests``).
"""
