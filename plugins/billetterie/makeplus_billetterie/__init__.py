"""MakePlus plugin ``billetterie``: ticket sales online.

Ticket types, the public shop, orders with named attendees and stock reservations,
payment providers (test, Stripe, on-site), tickets (the holder's badge QR), transfers,
upgrades, refunds, comp tickets, staff lists and exports, and the door's ticket rules.

Hooks: ``makeplus_includeme`` (REST services; wallet keys read once), ``makeplus_migrations``
(its Alembic branch), ``makeplus_check_access`` and ``makeplus_access_gates`` (a holder with
tickets needs a valid one that includes the room), ``makeplus_rate_limits`` (contact form, checkout),
``makeplus_demo_data``, ``makeplus_event_statistics``, ``makeplus_event_records``,
``makeplus_dashboard_pages``, ``makeplus_capabilities``, ``makeplus_desk_order`` (a ``caisse``
desk collects on-site orders, :mod:`.desk`). See docs/billetterie.md.
It imports the core only through ``makeplus_core.plugin_api``.
"""
from __future__ import annotations

from makeplus_core.plugin_api import hookimpl, standard_hooks

from . import (
    mails,  # noqa: F401  (registers its background jobs)
    models,  # noqa: F401  (its tables on the core's Base)
)

globals().update(standard_hooks(  # makeplus_migrations, _rate_limits, _capabilities, _demo_data, …
    __name__, views=None,  # makeplus_includeme below: it reads the wallet keys first
    demo="demo:load", dashboard="dashboard:register",
    rate_limits={"billetterie_contact": "5/3600", "billetterie_checkout": "30/60"},
    capabilities={"providers": ["test", "stripe", "onsite"]},
    # Tickets and revenue: gestionnaires and admins only.
    event_statistics=("billetterie", "services:event_statistics"), finances_only=True,
    # Orders are never deleted: an event with orders is archived instead.
    event_records=("billetterie_orders", "services:order_count"),
))


@hookimpl
def makeplus_includeme(config):
    from .views import load_wallets

    load_wallets(config.registry)  # wallet certificates and keys read once, at start-up
    config.scan("makeplus_billetterie.views")


@hookimpl
def makeplus_check_access(dbsession, attempt):
    from .services import door_denial

    return door_denial(dbsession, attempt)


@hookimpl
def makeplus_access_gates():
    """Only holders with a ticket for the room's event need :func:`makeplus_check_access`
    (:func:`.services.door_denial` lets everyone else through): elsewhere the core's
    one-statement door path stays on."""
    import sqlalchemy as sa

    from .models import Ticket

    def holds_a_ticket(room, holder):
        return sa.exists().where(Ticket.holder_user_id == holder.id, Ticket.event_id == room.event_id)

    return holds_a_ticket


@hookimpl
def makeplus_desk_order(dbsession, request, event_id, action, reference, query):
    from .desk import desk_order

    return desk_order(dbsession, request, event_id, action, reference, query)
