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

from makeplus_core.plugin_api import dashboard_pages_hook, demo_data_hook, hookimpl, migrations_hook, returns

from . import (
    mails,  # noqa: F401  (registers its background jobs)
    models,  # noqa: F401  (its tables on the core's Base)
)

makeplus_migrations = migrations_hook(__name__)
makeplus_rate_limits = returns({"billetterie_contact": "5/3600", "billetterie_checkout": "30/60"})
makeplus_capabilities = returns({"providers": ["test", "stripe", "onsite"]})
makeplus_demo_data = demo_data_hook(__name__)
makeplus_dashboard_pages = dashboard_pages_hook(__name__)


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
def makeplus_event_statistics(dbsession, event_id, role):
    """Tickets and revenue: gestionnaires and admins only."""
    from makeplus_core.plugin_api import sees_finances

    from .services import event_statistics

    if not sees_finances(role):
        return None
    return {"billetterie": event_statistics(dbsession, event_id)}


@hookimpl
def makeplus_event_records(dbsession, event_id):
    """Orders are never deleted: an event with orders is archived instead."""
    from .services import order_count

    return {"billetterie_orders": order_count(dbsession, event_id)}


@hookimpl
def makeplus_desk_order(dbsession, request, event_id, action, reference, query):
    from .desk import desk_order

    return desk_order(dbsession, request, event_id, action, reference, query)
