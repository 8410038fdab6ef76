"""/api/openapi.json is a valid OpenAPI 3 document (checked by openapi-spec-validator):
plain path templates with declared path parameters, request bodies as schemas, tags,
summaries and response schemas on every operation."""
from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, item, op


def test_the_document_validates_as_openapi_3(app):
    spec = app.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    validate(spec)  # raises with the offending place on any error


def test_the_validator_is_not_a_rubber_stamp(app):
    spec = app.get("/api/openapi.json").json
    spec["paths"]["/api/events/{id}/"].pop("parameters")  # {id} no longer declared
    with pytest.raises(OpenAPIValidationError):
        validate(spec)


def test_path_templates_carry_no_route_regex_and_declare_their_parameters(app):
    spec = app.get("/api/openapi.json").json
    for path, _method, item, op in operations(spec):
        names = re.findall(r"\{([^}]*)\}", path)
        assert all(re.fullmatch(r"\w+", n) for n in names), f"route regex left in {path}"
        declared = {p["name"] for p in item.get("parameters", []) + op.get("parameters", []) if p["in"] == "path"}
        assert declared == set(names), path
    event_id = spec["paths"]["/api/events/{id}/"]["parameters"][0]
    assert event_id == {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
    user_id = spec["paths"]["/api/users/{user_id}/badge/reissue/"]["parameters"][0]
    assert user_id["schema"]["type"] == "integer" and user_id["schema"]["maximum"] == 2**31 - 1


def test_every_operation_has_tags_a_summary_an_id_and_error_responses(app):
    spec = app.get("/api/openapi.json").json
    op_ids = []
    for path, method, _item, op in operations(spec):
        assert op["tags"] and op["summary"].strip(), f"{method} {path}"
        assert op["responses"]["4XX"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"}
        assert not any(p.get("in") == "body" for p in op.get("parameters", [])), "Swagger 2.0 body parameter"
        op_ids.append(op["operationId"])
    assert len(op_ids) == len(set(op_ids))
    assert {t["name"] for t in spec["tags"]} >= {"auth", "events", "rooms", "sessions", "participants"}


def test_request_bodies_are_schemas_from_our_colander_schemas(app):
    spec = app.get("/api/openapi.json").json
    create = spec["paths"]["/api/rooms/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert create["required"] == ["name"]
    assert create["properties"]["capacity"] == {"type": "integer", "title": "Capacity", "minimum": 0,
                                                "maximum": 2**31 - 1, "nullable": True}
    # a PATCH is partial: no field is required
    patch = spec["paths"]["/api/rooms/{id}/"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    assert "required" not in patch and "name" in patch["properties"]


def test_public_operations_need_no_token_and_main_resources_declare_their_bodies(app):
    spec = app.get("/api/openapi.json").json
    assert spec["paths"]["/api/auth/token/"]["post"]["security"] == []
    assert "security" not in spec["paths"]["/api/events/"]["get"]  # the document's default: Bearer
    assert spec["components"]["securitySchemes"]["Bearer"]["scheme"] == "bearer"
    if "/api/caisse/pos/items/" in spec["paths"]:  # public to Pyramid, but the desk's token is checked
        assert spec["paths"]["/api/caisse/pos/items/"]["get"]["security"] == [{"CaisseBearer": []}]
        assert spec["components"]["securitySchemes"]["CaisseBearer"]["scheme"] == "bearer"  # declared by caisse
    else:
        assert set(spec["components"]["securitySchemes"]) == {"Bearer"}
    page = spec["paths"]["/api/sessions/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert page["properties"]["results"]["items"] == {"$ref": "#/components/schemas/Session"}


def test_error_answers_match_the_documented_error_shape(app):
    """The shape the document declares is the one the API sends (401, 404, 400)."""
    import jsonschema

    error = app.get("/api/openapi.json").json["components"]["schemas"]["Error"]
    schema = {**error, "properties": {**error["properties"], "field": {"type": ["string", "null"]}}}
    for r in (app.get("/api/events/", status=401), app.get("/api/nowhere/", status=404),
              app.post_json("/api/auth/token/", {"email": ""}, status=400)):
        jsonschema.validate(r.json, schema)
