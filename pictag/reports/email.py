"""Mail a report's files over SMTP (stdlib ``smtplib``; STARTTLS, implicit TLS or plain)."""

from __future__ import annotations

import logging
import mimetypes
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path

from pictag.config.reports import SmtpConfig
from pictag.errors import PictagError
from pictag.redaction import scrub

log = logging.getLogger(__name__)


class ReportMailError(PictagError):
    """The report could not be mailed; the message names the server and the reason (no password)."""


def build_message(smtp: SmtpConfig, subject: str, body: str, attachments: Sequence[Path]) -> EmailMessage:
    """The e-mail: a text body and the files attached."""
    msg = EmailMessage()
    msg["From"] = smtp.sender
    msg["To"] = ", ".join(smtp.recipients)
    msg["Subject"] = subject
    msg.set_content(body)
    for path in attachments:
        ctype, _ = mimetypes.guess_type(path.name)
        maintype, subtype = (ctype or "application/octet-stream").split("/", 1)
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return msg


def send_report(
    smtp: SmtpConfig,
    subject: str,
    body: str,
    attachments: Sequence[Path],
    *,
    tls_context: ssl.SSLContext | None = None,
) -> None:
    """Send one message to every recipient.

    Args:
        tls_context: certificate checks for starttls/ssl (default: the system's trust store).

    Raises:
        ReportMailError: connection, TLS, login or refusal (password never in the message).
    """
    msg = build_message(smtp, subject, body, attachments)
    context = tls_context or ssl.create_default_context()
    password = smtp.password.get_secret_value() if smtp.password is not None else None
    try:
        client: smtplib.SMTP
        if smtp.security == "ssl":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_s, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=context)
            if smtp.username is not None:
                client.login(smtp.username, password or "")
            refused = client.send_message(msg)
    except (OSError, smtplib.SMTPException) as err:
        text = scrub(f"{type(err).__name__}: {err}", [password] if password else [])
        where = f"smtp={smtp.host}:{smtp.port}"
        raise ReportMailError(f"{where} reason=send_failed ({text}); check reports.email") from None
    if refused:
        raise ReportMailError(f"smtp={smtp.host}:{smtp.port} reason=recipients_refused {sorted(refused)}")
    log.info("report mailed to %d recipient(s) via %s:%d", len(smtp.recipients), smtp.host, smtp.port)
