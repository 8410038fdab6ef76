"""The mailer ``mail.backend`` chooses (see :mod:`makeplus_core.mail`): built by the web
process at start-up and by a ``makeplus-worker`` when its first mail job runs."""
from __future__ import annotations

import os
import pathlib
import time
import uuid

from pyramid_mailer import mailer_factory_from_settings
from pyramid_mailer.mailer import DummyMailer


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


def make_mailer(settings: dict):
    backend = settings.get("mail.backend", "debug")
    if backend == "smtp":
        return mailer_factory_from_settings(settings)
    if backend == "file":
        return FolderMailer(settings.get("mail.folder", os.path.join("var", "mail")))
    return DummyMailer()
