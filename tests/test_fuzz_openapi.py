"""The fuzzing step: schemathesis generates requests for every operation of
/api/openapi.json (valid and invalid input, boundary values, missing fields) and sends
each one to the real WSGI app as an anonymous caller, as a participant and as the
event's gestionnaire. Every answer must be a non-5xx that matches its documented
response schema (the JSON error shape on 4xx, the resources' bodies on 2xx).

Settings and seed: ``schemathesis.toml`` at the repository root (same requests on every
run). ``MAKEPLUS_FUZZ_EXAMPLES`` raises or lowers the examples per operation. How to
run it against a live server: docs/security.md, "OpenAPI document and fuzzing".
"""
from __future__ import annotations

import os
import pathlib
import uuid

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from makeplus_core.db import get_session_factory
from makeplus_core.roles import GESTIONNAIRE
from makeplus_core.testing import Factories, build_app, clean_tables

if not hasattr(pytest.Function, "_nodeid"):
    # schemathesis 4's lazy loader labels each operation's subtest through node._nodeid,
    # which pytest 9.2 no longer has: give it a place to read and write that label.
    pytest.Function._nodeid = property(lambda self: self.__dict__.get("_st_label", self.nodeid),
                                       lambda self, value: self.__dict__.__setitem__("_st_label", value))

CONFIG = pathlib.Path(__file__).resolve().parents[1] / "schemathesis.toml"
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_app(settings, engine):
    return build_app(settings)


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_app):
    config = schemathesis.Config.from_path(CONFIG)
    examples = os.environ.get("MAKEPLUS_FUZZ_EXAMPLES")
    if examples:
        config.projects.default.generation.update(max_examples=int(examples))
    return schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app.app, config=config)


class World:
    """One event with a room, a session, a gestionnaire and a participant: the ids the
    fuzzer swaps into paths, queries and bodies so requests reach real objects. Built
    afresh for each operation (an earlier operation may have deleted or changed it)."""

    def __init__(self, app, engine, arrange_engine):
        self.app, self.engine = app, engine
        self.db = get_session_factory(arrange_engine)()
        self.operation = None

    def for_operation(self, label: str) -> None:
        if label == self.operation:
            return
        self.operation = label
        self.db.rollback()
        clean_tables(self.engine)
        f = Factories(self.db, self.app)
        self.event = f.event()
        self.room = f.room(self.event)
        self.session = f.session(self.event, self.room)
        self.gestionnaire = f.member(self.event, GESTIONNAIRE)
        self.participant_user = f.member(self.event, "participant")
        self.participant = f.participant_of(self.participant_user, self.event)
        self.headers = {
            "anonymous": {},
            "participant": f.auth(self.participant_user, self.event),
            "gestionnaire": f.auth(self.gestionnaire, self.event),
        }
        self.ids = {"event": str(self.event.id), "room": str(self.room.id), "session": str(self.session.id),
                    "participant": str(self.participant.id)}

    def id_for(self, name: str, path: str) -> str | None:
        """The world's id for a parameter named ``name`` in ``path`` (None: keep the fuzzer's)."""
        base = name.removesuffix("_id")
        if base in self.ids:
            return self.ids[base]
        if name == "id":
            for kind in ("event", "room", "session", "participant"):
                if path.startswith(f"/api/{kind}s/"):
                    return self.ids[kind]
        return None


@pytest.fixture
def world(fuzz_app, engine, arrange_engine):
    w = World(fuzz_app, engine, arrange_engine)
    try:
        yield w
    finally:
        w.db.close()
        clean_tables(engine)


def _swap_ids(case, world: World) -> None:
    """Point half of the generated ids at real objects, deterministically (the choice
    depends on the generated value, so the seed still reproduces every request)."""

    def pick(value) -> bool:
        return isinstance(value, str) and sum(value.encode("utf-8", "surrogatepass")) % 2 == 0

    path = case.operation.path
    for container in (case.path_parameters, case.query):
        for name, value in list((container or {}).items()):
            real = world.id_for(name, path)
            if real is not None and pick(value):
                container[name] = real
    if isinstance(case.body, dict):
        for name, value in list(case.body.items()):
            real = world.id_for(name, "")
            if real is not None and pick(value):
                case.body[name] = real


schema = schemathesis.pytest.from_fixture("fuzz_schema")
STATUSES: dict[tuple[str, str], set[int]] = {}  # (operation, caller) → statuses seen


@schema.parametrize()
@hypothesis.settings(deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
def test_no_server_error_and_documented_answers(case, world):
    world.for_operation(case.operation.label)
    _swap_ids(case, world)
    for role, headers in world.headers.items():
        response = case.call_and_validate(headers=dict(headers), checks=CHECKS)
        STATUSES.setdefault((case.operation.label, role), set()).add(response.status_code)


def test_the_fuzzer_reaches_real_objects():
    """The swapped ids work: the gestionnaire's and participant's requests got real answers."""
    if not STATUSES:
        pytest.skip("runs after the fuzzing test (in the same session)")

    def ok(label, role):
        return any(200 <= s < 300 for s in STATUSES.get((label, role), ()))

    for label in ("GET /api/events/{id}/", "GET /api/rooms/{id}/", "GET /api/sessions/{id}/",
                  "PATCH /api/sessions/{id}/", "GET /api/participants/{id}/"):
        assert ok(label, "gestionnaire"), label
    assert ok("GET /api/sessions/{id}/", "participant")
    assert not ok("GET /api/participants/", "anonymous")
    reached = {label for (label, role) in STATUSES if ok(label, "gestionnaire")}
    assert len(reached) >= len({label for label, _ in STATUSES}) // 3


def test_the_fuzzer_fails_on_a_server_error(fuzz_schema):
    """The check the step relies on does flag a 5xx (the fuzzer is not a rubber stamp)."""
    op = fuzz_schema["/api/health/"]["GET"]
    case = op.Case()
    response = case.call()
    case.validate_response(response, checks=CHECKS)  # 200 and a Health body: passes
    response.status_code = 500
    with pytest.raises(BaseException) as failure:
        case.validate_response(response, checks=CHECKS)
    assert "Server error" in str(failure.value)


def test_ids_are_swapped_deterministically(world):
    world.for_operation("GET /api/")
    assert world.id_for("event_id", "/api/eposter/{event_id}/gallery/") == str(world.event.id)
    assert world.id_for("id", "/api/rooms/{id}/") == str(world.room.id)
    assert world.id_for("id", "/api/annonces/{id}/") is None
    assert uuid.UUID(world.id_for("session", ""))
