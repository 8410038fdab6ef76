"""Outgoing mail through pyramid_mailer.

``mail.backend`` in the INI chooses where mails go: ``file`` (development: one
``.eml`` file per mail in ``mail.folder``), ``smtp`` (production, ``mail.host`` …
as pyramid_mailer reads them) or ``debug`` (tests: kept in memory,
``registry['mailer'].outbox``). Each mail is a background job (``mail.send``, see
:mod:`makeplus_core.jobs`) handed over when the transaction commits, so a failed
request sends nothing; in production a ``makeplus-worker`` sends it (retried with
backoff if the SMTP server fails), in development and tests it is sent inline.
"""
from __future__ import annotations

import os
import pathlib
import time
import uuid

from pyramid_mailer import mailer_factory_from_settings
from pyramid_mailer.mailer import DummyMailer
from pyramid_mailer.message import Message

from .jobs import enqueue, job


class FolderMailer(DummyMailer):
    """Writes each mail as an .eml file in a folder (and keeps it in ``outbox``)."""

    def __init__(self, folder):
        super().__init__()
        self.folder = pathlib.Path(folder)

    def _write(self, message):
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        (self.folder / name).write_bytes(message.to_message().as_bytes())

    def send(self, message):
        self._write(message)
        self.outbox.append(message)

    def send_immediately(self, message, fail_silently=False):
        self.send(message)

    def send_to_queue(self, message):  # pragma: no cover - same as send
        self.send(message)


def send_mail(request, to: str, subject: str, body: str, html: str | None = None,
              key: str | None = None) -> str:
    """Send a mail once the request's transaction has committed (a ``mail.send`` job).

    ``key`` makes it idempotent (the same key is never sent twice); returns the key.
    """
    sender = request.registry.settings.get("mail.default_sender", "noreply@makeplus.local")
    payload = {"to": to, "subject": subject, "body": body, "html": html, "sender": sender}
    return enqueue(request, "mail.send", payload, key=key)


@job("mail.send")
def send_mail_job(ctx, to: str, subject: str, body: str, html: str | None, sender: str) -> None:
    message = Message(subject=subject, sender=sender, recipients=[to], body=body, html=html)
    ctx.mailer.send_immediately(message, fail_silently=False)


def make_mailer(settings: dict):
    backend = settings.get("mail.backend", "debug")
    if backend == "smtp":
        return mailer_factory_from_settings(settings)
    if backend == "file":
        return FolderMailer(settings.get("mail.folder", os.path.join("var", "mail")))
    return DummyMailer()


def includeme(config):
    config.registry.makeplus.mailer = make_mailer(config.get_settings())
