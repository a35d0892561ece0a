"""SMTP for the email connector: log in, and hand one reply over so its fate is always known.

The envelope (MAIL FROM, RCPT TO) is refused or accepted before anything could reach the
customer; only from the DATA command on may the server have the mail. So the handover is told
`handing()` just before DATA and `accepted()` the moment the server answers 250, before QUIT or
anything else that could be slow. A connection that breaks between the two is the one case
where nobody can know: DeliveryUnknown.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Sequence
from typing import Any

from deskterm.connector import (
    Account,
    DeliveryUnknown,
    Handover,
    PermanentError,
    TemporaryError,
)

from . import auth


def connect(
    account: Account,
    settings: dict[str, Any],
    *,
    username: str,
    tokens: auth.TokenSource | None,
    tls: Callable[[], ssl.SSLContext],
    timeout: float,
) -> smtplib.SMTP:
    """A logged-in SMTP connection to the account's server."""
    host: str = settings.get("smtp_host") or settings["host"]
    security = settings.get("smtp_security", "ssl")
    port = int(settings.get("smtp_port") or {"ssl": 465, "starttls": 587}.get(security, 25))
    smtp: smtplib.SMTP
    try:
        if security == "ssl":
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=tls())
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
            if security == "starttls":
                smtp.starttls(context=tls())
        user = settings.get("smtp_username") or username
        if tokens is not None:
            smtp.ehlo()
            token = auth.xoauth2(user, tokens.token())
            # On a refused token the server sends an error challenge, answered with "".
            smtp.auth(
                "XOAUTH2",
                lambda challenge=None: token if challenge is None else "",
                initial_response_ok=True,
            )
        elif settings.get("smtp_auth", True) and user and _offers_login(smtp):
            smtp.login(user, auth.password(account))
    except smtplib.SMTPAuthenticationError as exc:
        raise PermanentError(f"SMTP login to {host} was refused: {exc}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise TemporaryError(f"cannot reach SMTP server {host}:{port}: {exc}") from exc
    return smtp


def _offers_login(smtp: smtplib.SMTP) -> bool:
    """Whether the server takes a login: a local relay that offers no AUTH sends without one."""
    smtp.ehlo_or_helo_if_needed()
    return smtp.has_extn("auth")


def _words(answer: bytes | str) -> str:
    """The server's answer as the text it sent, never a Python repr."""
    return answer.decode(errors="replace") if isinstance(answer, bytes) else answer


def _refused(code: int, answer: bytes | str) -> PermanentError | TemporaryError:
    error = PermanentError if code >= 500 else TemporaryError
    return error(f"the mail server refused the reply: {code} {_words(answer)}")


def _envelope(smtp: smtplib.SMTP, sender: str, recipients: Sequence[str]) -> None:
    """MAIL FROM and RCPT TO: nothing can reach the customer yet, so every failure is clear."""
    try:
        smtp.ehlo_or_helo_if_needed()
        code, answer = smtp.mail(sender)
        if code != 250:
            raise _refused(code, answer)
    except (OSError, smtplib.SMTPException) as exc:
        raise TemporaryError(f"sending failed: {exc}") from exc
    for to in recipients:
        try:
            code, answer = smtp.rcpt(to)
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryError(f"sending failed: {exc}") from exc
        if code >= 500:
            raise PermanentError(f"the mail server refused recipient {to}: {code} {_words(answer)}")
        if code not in (250, 251):
            raise _refused(code, answer)


def deliver(
    smtp: smtplib.SMTP,
    sender: str,
    recipients: Sequence[str],
    raw: bytes,
    handover: Handover,
    external_id: str,
    settle: Callable[[], None] = lambda: None,
) -> None:
    """Send `raw` to `recipients` (the customer, then any Cc) over `smtp`, reporting to
    `handover`; `settle` runs once the server took it (and the handover knows), before QUIT.
    Closes the connection."""
    try:
        _envelope(smtp, sender, recipients)
        handover.handing()
        try:
            code, answer = smtp.data(raw)
        except smtplib.SMTPResponseException as exc:  # DATA itself refused: no text went out
            raise _refused(exc.smtp_code, exc.smtp_error) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryUnknown(
                f"the connection to the mail server broke while it took the reply ({exc}); "
                "it may or may not have reached the customer. Check with them, then retry or "
                "cancel it by hand"
            ) from exc
        if code != 250:
            raise _refused(code, answer)
        try:
            handover.accepted(external_id)
        finally:
            settle()
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
