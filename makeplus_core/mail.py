"""Outgoing mail through pyramid_mailer.

``mail.backend`` in the INI chooses where mails go: ``file`` (development: one
``.eml`` file per mail in ``mail.folder``), ``smtp`` (production, ``mail.host`` …
as pyramid_mailer reads them) or ``debug`` (tests: kept in memory,
``registry.makeplus.mailer.outbox``); :mod:`makeplus_core.mailers` builds it. Each mail is a background job (``mail.send``, see
:mod:`makeplus_core.jobs`) handed over when the transaction commits, so a failed
request sends nothing; in production a ``makeplus-worker`` sends it (retried with
backoff if the SMTP server fails), in development and tests it is sent inline.
"""
from __future__ import annotations

from pyramid_mailer.message import Message

from .jobs import enqueue, job
from .mailers import make_mailer


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


def includeme(config):
    config.registry.makeplus.mailer = make_mailer(config.get_settings())
