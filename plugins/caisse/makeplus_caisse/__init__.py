"""MakePlus plugin ``caisse``: cash desks selling paid ateliers and extras.

Hooks: ``makeplus_includeme`` (REST services and the point-of-sale page ``/caisse/``),
``makeplus_migrations`` (its Alembic branch), ``makeplus_token_kinds`` (the desk's own
token), ``makeplus_demo_data``, ``makeplus_session_changed`` (one payable item per paid
atelier, kept in step), ``makeplus_event_statistics``, ``makeplus_event_records`` (an
event with sales cannot be deleted), ``makeplus_user_export``, ``makeplus_dashboard_pages``,
``makeplus_search`` (sales by buyer name/e-mail or id, gestionnaires and admins only),
``makeplus_paid_items`` (extras bought at a desk in the scanner's ``paid_items``) and
``makeplus_paid_items_gates`` (only holders with a completed sale have any),
``makeplus_check_access`` and ``makeplus_access_gates`` (a room linked to a ticket item
admits only its buyers). See docs/caisse.md.
"""
from __future__ import annotations

from makeplus_core.plugin_api import hookimpl, standard_hooks

from . import models  # noqa: F401  (tables on the core's Base)

globals().update(standard_hooks(  # makeplus_includeme, _migrations, _demo_data, _dashboard_pages, …
    __name__, include=("pages",),  # pages: the point-of-sale page /caisse/
    demo="demo:load", dashboard="dashboard:register",
    # Cash-desk revenue and payment splits: gestionnaires and admins only.
    event_statistics=("caisse", "services:event_statistics"), finances_only=True,
    # Sales are never deleted: an event that has any cannot be deleted (archive it).
    event_records=("caisse_transactions", "services:transaction_count"),
    user_export=("caisse_purchases", "services:export_for_caisse_user"),
    search="services:search",  # gestionnaires and admins only (services.search)
))


@hookimpl
def makeplus_token_kinds():
    from .auth import TOKEN_TYPE, load_token

    return {TOKEN_TYPE: load_token}


@hookimpl
def makeplus_session_changed(dbsession, session, action, changes):
    from .services import sync_session_item

    sync_session_item(dbsession, session, deleted=action == "deleted")


@hookimpl
def makeplus_paid_items(dbsession, user_id, event_id):
    """Extras bought at a desk (dinner, goodies…) in the scanner's ``paid_items``."""
    from .services import paid_extras

    return paid_extras(dbsession, user_id, event_id)


@hookimpl
def makeplus_paid_items_gates():
    """Only holders with a completed sale in the event can have extras: elsewhere the
    check-in does not call :func:`makeplus_paid_items`."""
    import sqlalchemy as sa

    from .models import Transaction

    def completed_sale(user, participant, event_id):
        return sa.exists().where(Transaction.participant_id == participant.id, Transaction.event_id == event_id,
                                 Transaction.status == "completed")

    return completed_sale


@hookimpl
def makeplus_check_access(dbsession, request, attempt):
    """A room with an active ticket item (``room`` of a caisse item, e.g. the dinner hall)
    admits only holders who bought one: else 402 ``ticket_required``."""
    if attempt.kind != "room" or attempt.room is None:
        return None
    from .services import door_ticket_check

    participant = attempt.participant
    missing = door_ticket_check(dbsession, attempt.room.id, participant.id if participant else None)
    if missing is None:
        return None
    return {"status": 402, "reason": "ticket_required", "layer": "caisse",
            "message": f"A ticket is required here: {', '.join(missing)}"}


@hookimpl
def makeplus_access_gates():
    """Only rooms with an active ticket item need :func:`makeplus_check_access`: elsewhere
    the core's one-statement door path stays on."""
    import sqlalchemy as sa

    from .models import Item

    def linked_ticket_item(room, holder):
        return sa.exists().where(Item.room_id == room.id, Item.is_active.is_(True), Item.session_id.is_(None))

    return linked_ticket_item
