"""One JSON encoder, one ISO-8601 helper, one 204 answer (issue 15: they had twins).

The renderer of Cornice views and :func:`api.json_dumps` (tweens, error answers) were two
encoders with the same rules written twice; the audit trail had its own datetime writer;
``no_content`` was defined three times. Now each is one function, and these tests pin what
the client contract needs from it: datetimes in UTC with ``Z``, decimals as strings, UUIDs
as strings, non-ASCII text as is, and a DELETE's 204 with neither body nor Content-Type.
"""
import datetime as dt
import decimal
import json
import uuid

import pytest

from makeplus_core import api
from makeplus_core.audit.services import jsonable

ALGIERS = dt.timezone(dt.timedelta(hours=1))
VALUES = {
    "aware": dt.datetime(2030, 5, 1, 10, 30, tzinfo=ALGIERS),
    "naive": dt.datetime(2030, 5, 1, 9, 30, 0, 123456),
    "utc": dt.datetime(2030, 5, 1, 9, 30, tzinfo=dt.UTC),
    "day": dt.date(2030, 5, 1),
    "price": decimal.Decimal("5000.00"),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "name": "Séance d'ouverture — salle 1",
    "nested": [{"at": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)}],
}
EXPECTED = {
    "aware": "2030-05-01T09:30:00Z",
    "naive": "2030-05-01T09:30:00.123456Z",
    "utc": "2030-05-01T09:30:00Z",
    "day": "2030-05-01",
    "price": "5000.00",
    "id": "12345678-1234-5678-1234-567812345678",
    "name": "Séance d'ouverture — salle 1",
    "nested": [{"at": "2030-01-01T00:00:00Z"}],
}


def render(value) -> str:
    """What a Cornice view returning ``value`` writes (the ``json`` renderer)."""
    return api.json_renderer()(None)(value, {})


def test_json_dumps_writes_what_the_client_contract_parses():
    text = api.json_dumps(VALUES)
    assert json.loads(text) == EXPECTED
    assert "Séance" in text  # not \\u-escaped


def test_the_renderer_and_json_dumps_write_the_same_bytes():
    assert render(VALUES) == api.json_dumps(VALUES)


@pytest.mark.parametrize("value", [object(), {1, 2}, b"bytes"])
def test_what_json_cannot_write_is_refused_alike(value):
    with pytest.raises(TypeError):
        api.json_dumps({"x": value})
    with pytest.raises(TypeError):
        render({"x": value})


def test_one_iso_helper():
    for key in ("aware", "naive", "utc"):
        assert api.isoformat(VALUES[key]) == EXPECTED[key]
        assert jsonable(VALUES[key]) == EXPECTED[key], "the audit trail writes datetimes as the API does"
    assert api.isoformat(None) is None


def test_money_has_two_places():
    assert api.money(decimal.Decimal("5000")) == "5000.00"
    assert api.money("12.5") == "12.50"
    assert api.money(None) is None


def test_no_content_has_neither_body_nor_content_type():
    resp = api.no_content()
    assert resp.status_int == 204 and resp.body == b""
    assert resp.content_type is None and "Content-Type" not in resp.headers


def test_a_delete_answers_the_one_204(app, f):
    event = f.event()
    room = f.room(event)
    session = f.session(event, room)
    headers = f.auth(f.member(event, "gestionnaire_des_salles"), event)
    for path in (f"/api/sessions/{session.id}/", f"/api/rooms/{room.id}/"):
        r = app.delete(path, headers=headers, status=204)
        assert r.body == b"" and "Content-Type" not in r.headers
