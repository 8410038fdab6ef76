"""The MakePlus plugin contract: every hook a plugin may implement.

A plugin is a distribution exposing an entry point in the group ``makeplus``
(``[project.entry-points.makeplus] <name> = "makeplus_<name>"``). When ``<name>``
is listed in ``makeplus.plugins`` in the INI, its module is imported and
registered with pluggy; its functions decorated with
``makeplus_core.hookimpl`` and named like the specs below are called by the core.

Every hook here is documented in ``docs/plugins.md`` (a test enforces it).
Arguments are passed by name; an implementation may accept any subset of them.
"""
from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("makeplus")
hookimpl = pluggy.HookimplMarker("makeplus")


@hookspec
def makeplus_includeme(config):
    """Configure the Pyramid application for this plugin.

    Called once at start-up from ``makeplus_core.main``, after every core domain was
    included. Like every hook called through pluggy, the implementations run in the
    reverse of the ``makeplus.plugins`` order (the last plugin listed first); the
    start-up declarations collected by ``makeplus_core.extensions`` (token kinds, schema
    fields, rate limits, permissions, capabilities, access gates) are read in the listed
    order.

    :param config: the ``pyramid.config.Configurator``. Add routes, Cornice services
        (``config.scan()`` of the plugin's views), static views and templates here.
        Read the plugin's settings from ``config.get_settings()`` under the
        ``makeplus.<name>.`` prefix.

    The return value is ignored.
    """


@hookspec
def makeplus_migrations():
    """Declare the folder that holds the plugin's Alembic revisions.

    Called by the migration runner (``makeplus-db``) and by the test suite.

    :return: an absolute path (``str`` or ``pathlib.Path``) to a folder of Alembic
        revision files. The plugin's first revision carries ``branch_labels =
        ("<name>",)`` and ``depends_on`` the core's first revision, so the plugin is
        one branch of the project's single revision graph. ``None`` means the plugin
        has no tables.
    """


@hookspec
def makeplus_extend_json(kind, objects, payloads, request):
    """Add fields to the JSON of a core resource before it is returned.

    Called by the core serializers every time a list or a single object of one of
    these kinds is rendered: ``"event"``, ``"room"``, ``"session"``,
    ``"participant"``, ``"user"`` (the login and ``/api/auth/me/`` answers). It is called
    once per rendered list with all the objects of the page (a room list with
    ``?include=sessions`` calls it for the sessions, then for the rooms), so an
    implementation should fetch what it needs in one query (no N+1). For the
    event-owned kinds (room, session, participant) a plugin switched off for the
    objects' event is not called, so its fields are absent there; ``event`` and
    ``user`` payloads go to every enabled plugin.

    :param kind: the resource kind (string above).
    :param objects: the model instances being rendered (a list, same order as
        ``payloads``); the session list (``GET /api/sessions/``) passes rows read without
        the ORM instead, with the same attribute names (``id``, ``event_id``, ``room_id``…).
    :param payloads: the JSON dicts built so far, one per object; modify them in
        place (e.g. ``payload["youtube_live_url"] = ...`` on sessions, exposants'
        ``payload["plan_file"] = ...`` on participants).
    :param request: the current request.

    The return value is ignored.
    """


@hookspec
def makeplus_demo_data(dbsession, demo):
    """Load the plugin's demo rows into a database that has the core demo data.

    Called by ``makeplus-demo`` (and ``make run``) after the core demo data was
    loaded, inside the same transaction. Must be idempotent: running it twice
    leaves one copy of each row (look rows up by a natural key first).

    :param dbsession: the SQLAlchemy session.
    :param demo: a ``makeplus_core.demo.DemoData`` with the core demo objects:
        ``demo.events`` (list, first is "Tech Summit Algeria 2025"),
        ``demo.users`` (dict by e-mail), ``demo.rooms`` and ``demo.sessions``
        (dicts by event id, lists), ``demo.password``, ``demo.settings`` (the
        application settings, e.g. ``makeplus.storage_root`` for demo files; may be
        empty).

    The return value is ignored.
    """


@hookspec
def makeplus_user_export(dbsession, user):
    """Contribute the plugin's data about a user to their personal data export.

    Called by ``GET /api/auth/me/export/`` (the "everything the platform holds about
    me" download).

    :param dbsession: the SQLAlchemy session.
    :param user: the ``User`` asking for their data.
    :return: ``None`` (nothing held) or a dict ``{"<section>": <JSON-able data>}``
        merged into the export under the plugin's own section names.
    """


@hookspec
def makeplus_session_changed(dbsession, session, action, changes, request):
    """React to a session being created, changed or deleted through the core.

    Called by the core's session domain functions (``makeplus_core.sessions.services``:
    create, update, set_status, delete, swap_times; the API and the dashboard's session
    forms go through them) after the change was flushed, in the same transaction (raise a ``makeplus_core.errors.DomainError`` to refuse the
    change: the whole request is rolled back and the error returned).

    :param dbsession: the SQLAlchemy session.
    :param session: the ``makeplus_core.sessions.models.Session`` (for ``"deleted"``,
        the object as it was, still readable).
    :param action: ``"created"``, ``"updated"``, ``"status"`` (start/end/cancel) or
        ``"deleted"``.
    :param changes: dict ``{field: (old, new)}`` of changed columns (empty for
        ``"created"``/``"deleted"``).
    :param request: the current request, or ``None`` when a script calls the session
        functions.

    The return value is ignored.
    """


@hookspec
def makeplus_event_statistics(dbsession, event_id, role):
    """Contribute figures to an event's statistics.

    Called by ``GET /api/events/{id}/statistics/``, ``GET /api/dashboard/stats/`` and
    the dashboard's event page, once per call.

    :param dbsession: the SQLAlchemy session.
    :param event_id: the event's UUID.
    :param role: the caller's role in the event (``"gestionnaire_des_salles"``,
        ``"controlleur_des_badges"``, ``"participant"``, ``"exposant"``), ``"admin"`` for
        a platform admin (and the web dashboard, reached only by admins and
        gestionnaires), or ``None``. Return only what that role may read: money
        (revenue, payment splits) and per-exposant figures only to
        ``"gestionnaire_des_salles"`` and ``"admin"`` (``makeplus_core.events.services.
        sees_finances(role)``).
    :return: ``None`` or a dict ``{"<plugin name>": {...figures...}}`` merged into the
        statistics under the plugin's own key. Compute figures with SQL aggregates.
    """


@hookspec
def makeplus_event_records(dbsession, event_id):
    """Tell the core whether an event holds records that must not be destroyed.

    Called before an event is deleted (``DELETE /api/events/{id}/``). When any
    implementation (or the core: scans, paid registrations) reports a record, the
    deletion is refused with 409 (``reason: "event_has_records"``, ``records``: the
    counts) and the caller is told to archive the event instead
    (``POST /api/events/{id}/archive/``). Report what deleting the event would
    destroy and what the event's people or its accounts rely on: completed sales,
    lead scans, submissions.

    :param dbsession: the SQLAlchemy session.
    :param event_id: the event's UUID.
    :return: ``None`` (nothing held) or a dict ``{"<kind>": <count>}`` (e.g.
        ``{"caisse_transactions": 12}``); kinds with a count of 0 are ignored. Count
        with one aggregate query per kind.
    """


@hookspec
def makeplus_search(dbsession, event_id, query, role, user_id, limit):
    """Contribute the plugin's own kinds of result to the global search.

    Called by ``GET /api/search/`` once per request, after the core searched its
    sessions, rooms and (for gestionnaires and admins) participants. A disabled plugin
    is not called, so its results disappear from the search.

    :param dbsession: the SQLAlchemy session.
    :param event_id: the UUID of the event searched (the caller's current event, or
        the one a platform admin named); never return another event's rows.
    :param query: the stripped search text (at least 2 characters). Match every word
        case-insensitively (``LIKE`` on SQLite; on PostgreSQL you may use the core's
        ``f_unaccent()`` function for accent-insensitive matching, see
        ``docs/insights.md``).
    :param role: the caller's role in the event (``"gestionnaire_des_salles"``,
        ``"controlleur_des_badges"``, ``"participant"``, ``"exposant"``), or ``"admin"``
        for a platform admin without a role there. Return only what that role may read.
    :param user_id: the caller's user id (for "my own" objects).
    :param limit: the most results the core will use; return at most this many, best
        first, and compute them with one or two queries (no per-row queries).
    :return: ``None`` or a list of dicts, each with at least ``type`` (the plugin's
        kind, e.g. ``"annonce"``, ``"exposant"``, ``"eposter"``,
        ``"caisse_transaction"``; never a core kind), ``id`` (string), ``title``,
        ``subtitle`` (string, may be empty) and ``score`` (number; the core scores 3 per
        word found in a title, 2 in a name/speaker/theme, 1 in a description, 10 for an
        exact code). Optional ``url`` (the API path of the object) and ``extra`` (a
        JSON-able dict) are passed through.
    """


@hookspec
def makeplus_check_access(dbsession, request, attempt):
    """Decide on a badge scan after the core rules allowed it (a plugin may veto).

    Called by the scan pipeline (``makeplus_core.access.pipeline``) for every scan
    at a room door (``POST /api/rooms/{id}/verify_access/``) and at the event-level
    scanner (``POST /api/participants/scan/``) once the badge was identified and
    every core rule (event assignment, allowed rooms, paid atelier, capacity)
    passed.

    Locks: a first entry into a capped room has already taken its seat, raising the
    window's admission counter (``room_admission_counts``; in a room that tracks exits,
    the day's presence counter) with an upsert that keeps that counter row locked until
    the scan's transaction ends; concurrent first entries into the same room wait for
    this call (on SQLite the seat's write holds the database's write lock): be quick and
    take no other lock. A re-entry, a room without capacity and the event scanner hold
    no lock here. A denial gives the seat back.

    :param dbsession: the SQLAlchemy session (same transaction as the scan).
    :param request: the current request (the scanner is ``request.identity``).
    :param attempt: a ``makeplus_core.access.pipeline.AccessAttempt`` with
        ``kind`` (``"room"`` or ``"event"``), ``event_id``, ``scanner`` (User),
        ``holder`` (``user``, ``role``, ``participant``, ``badge_format``), ``user``,
        ``participant``, ``room`` (``None`` for event scans), ``session`` (the session
        given or running now, or ``None``), ``now`` and ``direction`` (``"entry"``;
        exits are not submitted to this hook: they never need payment nor a seat).
    :return: ``None`` for no opinion, or a denial dict ``{"status": 403,
        "reason": "<short code>", "message": "<text for the scanner>", "layer":
        "<name>"}`` (``status`` a 4xx, default 403; ``layer`` defaults to
        ``"plugin"``). The first denial wins; it is recorded as the scan's
        ``RoomAccess`` row with that layer and reason. A plugin cannot override a
        core denial.
    """


@hookspec
def makeplus_paid_items(dbsession, user_id, event_id):
    """Contribute what a badge holder has paid for in an event (the app's ``paid_items``).

    Called by ``makeplus_core.access.paid_items.paid_items`` wherever the app reads
    ``paid_items``: the event scanner's answer (``POST /api/participants/scan/`` and its
    aliases), the badge (``qr_code.paid_items``) of the login answer and of
    ``GET /api/auth/me/``. The core contributes the holder's paid-atelier rights
    (``SessionAccess``) itself; a plugin adds what it sold (e.g. ``caisse``: a dinner,
    goodies). Plugins switched off for the event are not called.

    :param dbsession: the SQLAlchemy session.
    :param user_id: the holder's user id (int).
    :param event_id: the event's UUID.
    :return: ``None`` or a list of dicts shaped like the app's PaidItem:
        ``{"type": "dinner" | "access" | "other" | "session", "id": str, "session_id":
        str (``""`` when not a session), "title": str, "payment_status": "paid" |
        "pending" | "free" | "refunded", "amount_paid": number (a JSON number, not a
        string), "has_access": bool}``; extra keys (``"source"``, ``"quantity"``…) are
        kept. Don't list paid ateliers again: the core already does. One query, please:
        it runs on every event scan (unless the plugin's ``makeplus_paid_items_gates``
        says the holder has nothing to list).
    """


@hookspec
def makeplus_access_recorded(dbsession, request, access, attempt):
    """React to a recorded scan decision (granted or denied).

    Called by the scan pipeline right after the scan's ``RoomAccess`` row was
    inserted, in the same transaction (it commits with the answer, denials too;
    raising aborts the scan with a 500, so don't), while the scan still holds the
    locks described in ``makeplus_check_access``. Not called for an idempotent retry,
    which records nothing, nor for a granted scan the door's one statement recorded on
    PostgreSQL (a plugin implementing this hook turns that path off).

    :param dbsession: the SQLAlchemy session.
    :param request: the current request.
    :param access: a read-only ``RoomAccess`` snapshot of the inserted row
        (``id``, ``event_id``, ``room_id``, ``session_id``, ``participant_id``,
        ``user_id``, ``verified_by_id``, ``access_time``, ``status``, ``layer``,
        ``reason``, ``http_status``, ``scan_id``, ``direction``). Exits and offline
        scans synced later (``access_time`` = the scan's time) are recorded too.
    :param attempt: the ``AccessAttempt`` (see ``makeplus_check_access``), or
        ``None`` when the holder was never identified (malformed QR, unknown
        badge, scanner not allowed).

    The return value is ignored.
    """


@hookspec
def makeplus_dashboard_pages(dashboard):
    """Contribute pages (and menu entries, and form fields) to the web dashboard.

    Called once, at application start-up, by the ``dashboard`` plugin's
    ``makeplus_includeme`` (never when the dashboard plugin is disabled; a disabled
    plugin is not called, so its pages and menu entries do not exist).

    :param dashboard: a ``makeplus_dashboard.core.Dashboard`` offering

        * ``add_page(name, path, view, template, title, nav=True, order=100,
          methods=("GET",))``: a page of an event at
          ``/dashboard/events/{event}/<path>/`` (``path`` may hold route placeholders
          such as ``{id:\\d+}``; such pages are not in the menu). ``view(request,
          event)`` returns a dict for ``template`` (an asset spec such as
          ``makeplus_annonces:templates/dashboard.jinja2`` that extends
          ``makeplus_dashboard:templates/base.jinja2``) or a Response (a redirect
          after a successful POST). The dashboard has already checked the caller is a
          platform admin or the event's gestionnaire (others: 404, nobody: login
          page) and the CSRF token of POSTs. A ``makeplus_core.errors.DomainError``
          raised by a POST re-renders the page (the view is called again as a GET)
          with ``errors`` ({field: message}) and ``form`` (what was typed), with the
          error's status; nothing is committed. ``nav`` entries appear in the event
          menu sorted by ``order`` then title.
        * ``add_field(form, name, label, value=None, help="", input_type="text")``: an
          extra input on a core form (``form="session"``: the session create/edit
          form and the wizard's session step; the posted value reaches the plugin
          through ``makeplus_session_changed`` as ``request.POST[name]``).
          ``value(request, obj)`` gives the current value when editing.
        * ``url(request, name, event, **placeholders)``: the URL of a page.

    The return value is ignored.
    """


@hookspec
def makeplus_token_kinds():
    """Declare the plugin's own kinds of bearer token (an identity of its own).

    Called once at start-up (``makeplus_core.extensions.setup``), after every plugin's
    ``makeplus_includeme``. The core's user security policy never accepts these tokens
    (user endpoints answer 401 to them); the plugin's views accept them through
    ``plugin_api.token_principal(request, kind)``, and the plugin issues them with
    ``plugin_api.issue_token(registry, kind, subject, ttl_seconds, **claims)`` (signed
    with the core's key, ``typ`` = the kind).

    :return: ``None`` or a dict ``{kind: loader}``; ``loader(request, claims)`` gets the
        verified claims (signature, expiry and kind already checked) and returns the
        principal (e.g. the caisse row) or ``None`` to refuse the token (401). The kinds
        ``access`` and ``refresh`` are the core's.
    """


@hookspec
def makeplus_schema_fields(schema):
    """Add validated fields to a core request schema.

    Called once per core schema at start-up. ``schema`` is ``"session"`` (the JSON
    bodies of ``POST /api/sessions/`` and ``PUT``/``PATCH /api/sessions/{id}/``, and the
    dashboard's session form). The core validates the declared fields present in the
    body before changing anything (a failure is a 400 naming the field; ``null`` or an
    empty form value passes as ``None``) and the plugin reads the validated values with
    ``plugin_api.plugin_fields(request, schema)`` (e.g. in ``makeplus_session_changed``).

    :param schema: the name of the core schema.
    :return: ``None`` or a list of named ``colander.SchemaNode`` objects (names must be
        unique across plugins; use ``missing=colander.drop``).
    """


@hookspec
def makeplus_rate_limits():
    """Declare the plugin's own rate-limit buckets and their default limits.

    Called once at start-up. The plugin counts hits with
    ``request.rate_limiter.hit(request, bucket, user_key)`` (429 with
    ``Retry-After`` over the limit, per client address and per ``user_key``). An INI key
    ``makeplus.ratelimit.<bucket> = count/seconds`` overrides the default.

    :return: ``None`` or a dict ``{bucket: "count/seconds"}``.
    """


@hookspec
def makeplus_permissions():
    """Add permission names to roles (the ``permissions`` list of the login and event JSON).

    Called once at start-up. The core lists its own permissions per role first, then
    each enabled plugin's, in ``makeplus.plugins`` order; a disabled plugin's
    permissions are gone.

    :return: ``None`` or a dict ``{role: [permission, ...]}`` where role is one of the
        four event roles or ``"admin"``.
    """


@hookspec
def makeplus_access_gates():
    """Say in SQL where the plugin's ``makeplus_check_access`` may deny a room scan.

    Called once at start-up. A granted room scan is one statement on PostgreSQL
    (``access/pipeline.py``): the database decides and records it without calling
    Python. A plugin that implements ``makeplus_check_access`` without a gate turns that
    path off for every scan (its hook must then be asked each time); with a gate, only
    the rooms where the gate is true take the Python path, where the hook is called as
    usual. A gate never changes a decision, only which path makes it.

    :return: ``None`` or a callable ``gate(room, holder)`` taking the door's ``Room`` entity
        and the badge holder's ``User`` entity (its columns are NULL for an unknown badge)
        and returning a SQLAlchemy boolean expression, true where the plugin may deny (e.g.
        ``sa.exists().where(Item.room_id == room.id, Item.is_active.is_(True))``: "a
        ticket item is linked to this room"). It must be cheap (an indexed EXISTS).

    The event scanner (``POST /api/participants/scan/``, the check-in) asks the gates too,
    in the statement that reads the holder: there ``room`` stands for the event, with only
    ``room.event_id`` (the scan's event) and ``room.id`` (NULL: no room); where every gate is
    false the hook is not called for the check-in. A gate reading another column of
    ``room`` there counts as true (the hook is called).
    """


@hookspec
def makeplus_paid_items_gates():
    """Say in SQL where the plugin's ``makeplus_paid_items`` may list something.

    Called once at start-up. The event scanner (``POST /api/participants/scan/``) asks the
    gates in the statement that reads the holder; where every gate is false, the
    ``makeplus_paid_items`` hook is not called for its answer (it could only list nothing).
    A plugin that implements ``makeplus_paid_items`` without a gate has it called at every
    check-in. A gate never changes the items, only whether they are read.

    :return: ``None`` or a callable ``gate(user, participant, event_id)`` taking the holder's
        ``User`` entity, their ``Participant`` entity in the event (its columns are NULL
        when there is none) and the event's id (a SQL expression), and returning a
        SQLAlchemy boolean expression, true where the plugin may list items (e.g.
        ``sa.exists().where(Sale.participant_id == participant.id)``). It must be cheap
        (an indexed EXISTS).
    """


@hookspec
def makeplus_capabilities():
    """Describe what the plugin offers to clients, in ``GET /api/`` ``capabilities``.

    Called once at start-up. The core always gives ``{"version": ...}`` for each
    enabled plugin; the returned keys are added beside it (``version`` cannot be
    replaced).

    :return: ``None`` or a JSON-able dict (e.g. ``{"features": ["upload"]}``).
    """


@hookspec(firstresult=True)
def makeplus_desk_order(dbsession, request, event_id, action, reference, query):
    """An order of another plugin that a cash desk finds, collects or refunds.

    ``caisse`` calls it; ``billetterie`` implements it for its **on-site** orders (pay at
    the cash desk). Plugins switched off for the event are not called (the caller uses
    ``event_modules.event_hook``); the first non-``None`` answer wins.

    :param dbsession: the SQLAlchemy session (the desk's request transaction).
    :param request: the current request (a completion mails after commit).
    :param event_id: the desk's event UUID: an order of another event is unknown.
    :param action: ``"find"`` — the event's orders still payable at the desk that match
        ``query`` (text: the order id, the buyer's e-mail or name; empty: the latest),
        at most 20; ``"pay"`` — the desk's sale of ``reference`` completed: lock the
        order row, complete it exactly once (tickets issued, attendees enrolled) or
        raise ``Conflict`` (409) when it is no longer payable (already paid, cancelled,
        not an on-site order); ``"refund"`` — the desk cancelled that sale: refund the
        order through the implementer's own rules (``Conflict`` when it cannot).
    :param reference: the order's reference (its id, a string) for ``pay``/``refund``;
        ``None`` for ``find``.
    :param query: the search text for ``find``; ``None`` otherwise.
    :return: ``None`` when ``reference`` is not one of the implementer's orders of that
        event (the desk answers 404). ``find``: a list of ``{"reference", "label",
        "buyer_name", "buyer_email", "buyer_user_id", "total" (Decimal), "currency",
        "status"}``; ``pay``/``refund``: one such dict, after the change.
    """
