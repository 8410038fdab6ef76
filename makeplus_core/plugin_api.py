"""The declared plugin API: everything a MakePlus plugin may import from the core.

A plugin imports the core **only** through this module (``from makeplus_core.plugin_api
import ...`` or ``from makeplus_core import plugin_api``); its tests (and its own
``testing.py`` helpers) also through :mod:`makeplus_core.testing` (the pytest harness);
its Alembic revision files may import ``makeplus_core.db`` (the column types
autogenerate writes). Anything not
exported here is internal and may change without notice; a test checks every plugin
of the repository keeps to this (``tests/test_plugin_api.py``).

A plugin never writes core tables itself: it reads the models below and changes
core data by calling the domain functions exported here (validated, audited).

Reference: docs/plugins.md ("The plugin API").
"""
# ruff: noqa: I001 -- the imports are grouped by purpose (the sections below), not alphabetically
from __future__ import annotations

# Hooks ----------------------------------------------------------------------------
from .hookspecs import hookimpl
from .plugin_hooks import (dashboard_pages_hook, demo_data_hook, event_records_hook, event_statistics_hook,
                           includeme_hook, migrations_hook, returns, search_hook, standard_hooks, user_export_hook)

# Database: the declarative base, column types, helpers ----------------------------
from .db import (Base, Money, RawSelect, UTCDateTime, dialect_insert, get_engine, get_session_factory, icontains,
                 keep_writes, new_uuid, utcnow)
from .db_mixins import CreatedAt, Timestamps, UUIDKey, event_fk

# Views: Cornice services, validation, scoping, pagination, JSON (module and names) --
from . import api
from .api import (doc, get_or_404, identity, isoformat, json_body, json_response, money, no_content,
                  paginate, param, parse_bool, parse_uuid, require_event, require_gestionnaire,
                  require_role, role_in_event, service, validate)

# Errors: raise them from domain functions, the core renders the JSON error ----------
from . import errors
from .errors import (Conflict, DomainError, Forbidden, Invalid, NotAuthenticated, NotFound,
                     PaymentRequired, RateLimited, TooLarge)

# Roles ------------------------------------------------------------------------------
from . import roles

# Bounded input types for colander schemas (docs/security.md, "Input limits")
from . import schema
from .roles import BADGE_ROLES, CONTROLLEUR, EXPOSANT, GESTIONNAIRE, PARTICIPANT, ROLES, STAFF_ROLES

# Core models: read them, never write them (call the domain functions below) --------
from .access.models import RoomAccess, SessionAccess
from .auth.models import User
from .events.models import EVENT_STATUSES, Event, UserEventAssignment
from .participants.models import Participant
from .rooms.models import Room
from .sessions.models import SESSION_STATUSES, SESSION_TYPES, Session
from .staff.models import RoomAssignment

# Domain functions plugins may call (validated, audited) ---------------------------
from .access import pipeline as access_pipeline
from .access import services as access_services
from .audit.services import recent as recent_audit_entries
from .access import badge_policy
from .auth import badges, invitations, passwords, throttle
from .auth import services as auth_services
from .events.serializers import event_json
from .events import archive as event_archive
from .events import schemas as event_schemas
from .events import services as event_services
from .events.services import sees_finances
from .storage import file_url
from .participants import serializers as participant_serializers
from .participants import services as participant_services
from .rooms import schemas as room_schemas
from .rooms import services as room_services
from .search.services import Matcher, parse_query
from .sessions import schemas as session_schemas
from .sessions import services as session_services
from .staff import schemas as staff_schemas
from .staff import serializers as staff_serializers
from .staff import services as staff_services

# Modules per event (docs/api-core.md): which plugins an event uses, switching them
from . import modules as event_modules
# Bulk import of participants and their export sheet (docs/api-people.md)
from .participants import importer as participant_importer
from .participants.export import participants_sheet
# Sheets of the API's exports (scan journal, reports), for the dashboard's Exports page
from .access.export import scan_journal_sheet
from .reports.services import events_sheet as events_report_sheet, sessions_sheet as sessions_report_sheet

# Selling admission (the billetterie plugin): enrol by e-mail, grant/revoke a paid atelier
from .participants import enrolment

# Background jobs (mails with attachments, PDFs): register with ``jobs.job``, run after commit with ``jobs.enqueue``
from . import jobs

# Start-up extension points: token kinds, schema fields (see makeplus_core.extensions)
from .extensions import issue_token, plugin_fields, token_principal

# Uploads, files, mail, Excel, QR images, web pages --------------------------------
from . import storage, web
from .web import WEB
from .mail import send_mail
from .qr import images as qr_images
from .xlsx import Sheet, xlsx_response

# Languages: catalogs are found in <package>/locale/ (domain "makeplus"); see makeplus_core.i18n
from . import i18n
from .i18n import N_, translate

# Migrations and demo data -----------------------------------------------------------
from . import demo, migrate
from .fonts import font_path
from .plugins import make_plugin_manager

__all__ = [
    "hookimpl", "includeme_hook", "migrations_hook", "demo_data_hook", "dashboard_pages_hook", "returns",
    "standard_hooks", "user_export_hook", "event_records_hook", "event_statistics_hook", "search_hook",
    "Base", "Money", "RawSelect", "UTCDateTime", "dialect_insert", "get_engine", "get_session_factory", "icontains", "keep_writes",
    "new_uuid", "utcnow", "CreatedAt", "Timestamps", "UUIDKey", "event_fk",
    "api", "doc", "get_or_404", "identity", "isoformat", "json_body", "json_response", "money", "no_content",
    "paginate", "param", "parse_bool", "parse_uuid", "require_event", "require_gestionnaire",
    "require_role", "role_in_event", "service", "validate",
    "errors", "Conflict", "DomainError", "Forbidden", "Invalid", "NotAuthenticated", "NotFound",
    "PaymentRequired", "RateLimited", "TooLarge",
    "schema",
    "roles", "BADGE_ROLES", "CONTROLLEUR", "EXPOSANT", "GESTIONNAIRE", "PARTICIPANT", "ROLES", "STAFF_ROLES",
    "RoomAccess", "SessionAccess", "User", "EVENT_STATUSES", "Event", "UserEventAssignment", "Participant",
    "Room", "SESSION_STATUSES", "SESSION_TYPES", "Session", "RoomAssignment",
    "access_pipeline", "access_services", "badge_policy", "recent_audit_entries", "badges", "invitations", "passwords", "throttle", "sees_finances", "auth_services", "event_json",
    "event_archive", "event_schemas", "event_services", "file_url", "participant_serializers", "participant_services", "room_schemas", "room_services",
    "Matcher", "parse_query", "session_schemas", "session_services", "staff_schemas", "staff_serializers", "staff_services",
    "event_modules", "participant_importer", "participants_sheet",
    "scan_journal_sheet", "events_report_sheet", "sessions_report_sheet",
    "enrolment", "jobs",
    "issue_token", "plugin_fields", "token_principal",
    "storage", "web", "WEB", "send_mail", "qr_images", "Sheet", "xlsx_response",
    "i18n", "N_", "translate",
    "demo", "migrate", "make_plugin_manager", "font_path",
]
