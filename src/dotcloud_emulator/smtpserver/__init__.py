"""The smtp service's relay: an authenticated SMTP server that keeps every message.

The platform's smtp service was Postfix with CRAM-MD5 authentication, relaying to the
internet or to a smarthost. Locally, mail must never leave the machine: this server accepts
mail from the user `dotcloud` (CRAM-MD5 as on the platform, and LOGIN and PLAIN for clients
that know no other), keeps each message in a Maildir on the service's data volume and logs
one line per message, so `logs APP.SERVICE` and the dashboard show what the application sent.
It runs on Debian's Python with Debian's aiosmtpd, as dotcloud.
"""
