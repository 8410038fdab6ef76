"""Outgoing mail through pyramid_mailer.

``mail.backend`` in the INI chooses where mails go: ``file`` (development: one
``.eml`` file per mail in ``mail.folder``), ``smtp`` (production, ``mail.host`` …
as pyramid_mailer reads them) or ``debug`` (tests: kept in memory,
``registry['mailer'].outbox``). Mails are sent when the transaction commits, so a
failed request sends nothing.
"""
from __future__ import annotations

import os
import pathlib
import time
import uuid

from pyramid_mailer import mailer_factory_from_settings
from pyramid_mailer.mailer import DummyMailer
from pyramid_mailer.message import Message


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


def send_mail(request, to: str, subject: str, body: str, html: str | None = None) -> None:
    mailer = request.registry["mailer"]
    sender = request.registry.settings.get("mail.default_sender", "noreply@makeplus.local")
    message = Message(subject=subject, sender=sender, recipients=[to], body=body, html=html)

    def after_commit(success):
        if success:
            mailer.send_immediately(message)

    request.tm.get().addAfterCommitHook(after_commit)


def includeme(config):
    settings = config.get_settings()
    backend = settings.get("mail.backend", "debug")
    if backend == "smtp":
        mailer = mailer_factory_from_settings(settings)
    elif backend == "file":
        mailer = FolderMailer(settings.get("mail.folder", os.path.join("var", "mail")))
    else:
        mailer = DummyMailer()
    config.registry["mailer"] = mailer
