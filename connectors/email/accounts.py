"""`deskterm account add email NAME`: the options an IMAP/SMTP account takes, and what is stored.

Declared as data for core's command line (deskterm.connector.Field); nothing here parses argv.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from deskterm.connector import ConnectorError, Field, NewAccount

SECURITY = ("ssl", "starttls", "none")
# How far back a new account's first sync reaches unless told otherwise: recent conversations
# are the work; years of old mail would open years of tickets.
FIRST_SYNC_SINCE = "30d"

HELP = "Add an IMAP/SMTP account; the password goes to the system keyring, never the database."

FIELDS = (
    Field("address", "The address customers write to.", prompt="Support address"),
    Field("host", "IMAP server name.", prompt="IMAP host"),
    Field("port", "IMAP port (993 for ssl, else 143).", type=int),
    Field("security", "ssl, starttls or none.", default="ssl", choices=SECURITY),
    Field("username", "Login name (default: the address)."),
    Field("folder", "Folder to pull (repeatable; INBOX).", multiple=True),
    Field("smtp-host", "SMTP server (default: IMAP host)."),
    Field("smtp-port", "SMTP port (465 ssl, 587 starttls).", type=int),
    Field("smtp-security", "ssl, starttls or none.", default="ssl", choices=SECURITY),
    Field("sent-folder", "Where sent replies are filed.", default="Sent"),
    Field(
        "append-sent",
        "File a copy in Sent (turn off for Gmail, which does it).",
        default=True,
        type=bool,
    ),
    Field(
        "mark-seen",
        "Flag mail seen on the server once its ticket is opened.",
        default=False,
        type=bool,
    ),
    Field("archive-folder", "Move a solved ticket's mail to this folder."),
    Field(
        "since",
        "First sync: only mail from this day (2026-10-01) or age (90d) on; 'all' for all.",
        default=FIRST_SYNC_SINCE,
    ),
    Field("auth", "password or xoauth2.", default="password", choices=("password", "xoauth2")),
    Field("token-command", "For xoauth2: a command that prints an access token."),
)


def new_account(values: dict[str, Any], today: date) -> NewAccount:
    """Check the options of `account add email` and build the settings to store."""
    from .pull import since_date

    address, since, auth = values["address"], values["since"], values["auth"]
    if "@" not in address:
        raise ConnectorError(f"{address!r} is not an email address")
    if auth == "xoauth2" and not values["token_command"]:
        raise ConnectorError(
            "--auth xoauth2 needs --token-command (a program that prints an access token)"
        )
    if since != "all":
        since_date(since, today)
    settings = {
        "host": values["host"],
        "port": values["port"],
        "security": values["security"],
        "username": values["username"] or address,
        "folders": list(values["folder"]) or ["INBOX"],
        "smtp_host": values["smtp_host"] or values["host"],
        "smtp_port": values["smtp_port"],
        "smtp_security": values["smtp_security"],
        "sent_folder": values["sent_folder"],
        "append_sent": values["append_sent"],
        "mark_seen": values["mark_seen"],
        "archive_folder": values["archive_folder"],
        "since": None if since == "all" else since,
        "auth": auth,
        "token_command": values["token_command"],
    }
    if since == "all":
        reach = "the first sync pulls every message"
    else:
        ago = f"the last {since}" if since[-1].isalpha() else f"{since} on"
        reach = f"the first sync pulls mail of {ago} (--since all: every message)"
    return NewAccount(
        address=address.lower(),
        settings={k: v for k, v in settings.items() if v is not None},
        secret="password" if auth == "password" else None,
        notes=(reach,),
    )
