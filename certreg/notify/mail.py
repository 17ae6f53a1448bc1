"""Sending e-mail with the standard library (``smtplib``, ``email``).

Settings (``config/``): ``MAIL_SERVER`` (unset: print each mail to the console instead),
``MAIL_PORT``, ``MAIL_USE_TLS`` (implicit TLS, usually port 465), ``MAIL_USE_STARTTLS``
(usually port 587), ``MAIL_USERNAME``, ``MAIL_PASSWORD``, ``MAIL_FROM``, ``MAIL_TIMEOUT``.
"""

from __future__ import annotations

import smtplib
import ssl
import sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app


class MailUnavailable(Exception):
    """The mail server cannot be reached or refused us: nothing can be sent now."""


class MessageRefused(Exception):
    """The server refused this one message (e.g. the recipient); others may still go."""


def build(to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=current_app.config["MAIL_FROM"].rpartition("@")[2].strip("> ") or None)
    msg.set_content(body)
    return msg


class Mailer:
    """One connection to the mail server (or the console), for several messages."""

    def __init__(self) -> None:
        config = current_app.config
        self.server = config.get("MAIL_SERVER")
        self.port = int(config.get("MAIL_PORT") or (465 if config.get("MAIL_USE_TLS") else 25))
        self.tls, self.starttls = bool(config.get("MAIL_USE_TLS")), bool(config.get("MAIL_USE_STARTTLS"))
        self.username, self.password = config.get("MAIL_USERNAME"), config.get("MAIL_PASSWORD")
        self.timeout = float(config.get("MAIL_TIMEOUT") or 30)
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        if not self.server:
            return self
        try:
            context = ssl.create_default_context()
            if self.tls:
                self.smtp = smtplib.SMTP_SSL(self.server, self.port, timeout=self.timeout, context=context)
            else:
                self.smtp = smtplib.SMTP(self.server, self.port, timeout=self.timeout)
                if self.starttls:
                    self.smtp.starttls(context=context)
            if self.username:
                self.smtp.login(self.username, self.password or "")
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise MailUnavailable(f"cannot reach the mail server {self.server}:{self.port}: {exc}") from exc
        return self

    def send(self, msg: EmailMessage) -> None:
        if self.smtp is None:
            print(f"--- mail (MAIL_SERVER is not set) ---\n{msg}", file=sys.stdout, flush=True)
            return
        try:
            self.smtp.send_message(msg)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise MessageRefused(str(exc)) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise MailUnavailable(f"the mail server {self.server}:{self.port} failed: {exc}") from exc

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None

    def __exit__(self, *exc_info) -> None:
        self.close()
