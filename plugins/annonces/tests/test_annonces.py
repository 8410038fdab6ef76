"""annonces: role-targeted announcements scoped to the token's event."""
import pytest

TARGETS = ["all", "participants", "exposants", "controlleurs", "gestionnaires"]


@pytest.fixture
def world(f):
    event = f.event()
    other = f.event()
    users = {role: f.member(event, role) for role in
             ("gestionnaire_des_salles", "controlleur_des_badges", "participant", "exposant")}
    outsider = f.member(other, "participant")
    return event, other, users, outsider


def create(app, f, user, event, **body):
    body.setdefault("title", "Titre")
    body.setdefault("description", "Texte")
    return app.post_json("/api/annonces/", {"event": str(event.id), **body}, headers=f.auth(user, event),
                         status=201).json


def test_targeting_by_role(app, f, world):
    event, other, users, outsider = world
    gest = users["gestionnaire_des_salles"]
    for target in TARGETS:
        create(app, f, gest, event, title=f"for {target}", target=target)
    create(app, f, outsider, other, title="elsewhere", target="all")
    seen = {}
    for role, user in users.items():
        r = app.get("/api/annonces/", params={"_t": "123"}, headers=f.auth(user, event)).json
        seen[role] = sorted(a["target"] for a in r["results"])
        assert r["count"] == len(r["results"])
        assert "elsewhere" not in {a["title"] for a in r["results"]}
    assert seen["gestionnaire_des_salles"] == sorted(TARGETS)
    assert seen["participant"] == ["all", "participants"]
    assert seen["exposant"] == ["all", "exposants"]
    assert seen["controlleur_des_badges"] == ["all", "controlleurs"]


def test_json_shape(app, f, world):
    event, _, users, _ = world
    gest = users["gestionnaire_des_salles"]
    a = create(app, f, gest, event, title="Pause", target="all")
    assert a["title"] == "Pause" and a["target"] == "all" and a["event"] == str(event.id)
    assert a["created_by"] == gest.id and a["creator_name"]
    assert a["created_at"].endswith("Z")


def test_foreign_event_is_404(app, f, world):
    event, other, users, outsider = world
    a = create(app, f, users["gestionnaire_des_salles"], event, target="all")
    h = f.auth(outsider, other)
    app.get(f"/api/annonces/{a['id']}/", headers=h, status=404)
    app.patch_json(f"/api/annonces/{a['id']}/", {"title": "x"}, headers=h, status=404)
    app.delete(f"/api/annonces/{a['id']}/", headers=h, status=404)
    app.get("/api/annonces/", params={"event_id": str(event.id)}, headers=h, status=404)


def test_hidden_target_is_404_on_detail(app, f, world):
    event, _, users, _ = world
    a = create(app, f, users["gestionnaire_des_salles"], event, target="gestionnaires")
    app.get(f"/api/annonces/{a['id']}/", headers=f.auth(users["participant"], event), status=404)


def test_only_owner_or_gestionnaire_edits(app, f, world):
    event, _, users, _ = world
    part = users["participant"]
    other_part = f.member(event, "participant")
    a = create(app, f, part, event, target="all")
    app.patch_json(f"/api/annonces/{a['id']}/", {"title": "hijack"}, headers=f.auth(other_part, event), status=403)
    app.delete(f"/api/annonces/{a['id']}/", headers=f.auth(other_part, event), status=403)
    r = app.patch_json(f"/api/annonces/{a['id']}/", {"title": "mine", "target": "participants"},
                       headers=f.auth(part, event)).json
    assert r["title"] == "mine" and r["target"] == "participants"
    gest = users["gestionnaire_des_salles"]
    app.patch_json(f"/api/annonces/{a['id']}/", {"description": "moderated"}, headers=f.auth(gest, event))
    app.delete(f"/api/annonces/{a['id']}/", headers=f.auth(gest, event), status=204)
    app.get(f"/api/annonces/{a['id']}/", headers=f.auth(gest, event), status=404)


def test_filters(app, f, world):
    event, _, users, _ = world
    gest, part = users["gestionnaire_des_salles"], users["participant"]
    create(app, f, gest, event, title="Déjeuner servi", target="all")
    create(app, f, part, event, title="Covoiturage", description="depuis Oran", target="participants")
    h = f.auth(gest, event)
    assert [a["title"] for a in app.get("/api/annonces/", params={"search": "oran"}, headers=h).json["results"]] \
        == ["Covoiturage"]
    assert app.get("/api/annonces/", params={"target": "all"}, headers=h).json["count"] == 1
    assert app.get("/api/annonces/", params={"created_by": part.id}, headers=h).json["count"] == 1
    assert app.get("/api/annonces/", params={"event_id": str(event.id)}, headers=h).json["count"] == 2


def test_validation(app, f, world):
    event, _, users, _ = world
    h = f.auth(users["gestionnaire_des_salles"], event)
    r = app.post_json("/api/annonces/", {"title": "", "target": "all"}, headers=h, status=400)
    assert r.json["field"] == "title"
    r = app.post_json("/api/annonces/", {"title": "x", "target": "everyone"}, headers=h, status=400)
    assert r.json["field"] == "target"
    app.get("/api/annonces/not-a-uuid/", headers=h, status=404)


def test_requires_auth(app):
    app.get("/api/annonces/", status=401)


def test_disabled_plugin_routes_404(make_app, f, world):
    event, _, users, _ = world
    app = make_app(**{"makeplus.plugins": ""})
    app.get("/api/annonces/", headers=f.auth(users["participant"], event), status=404)


def test_list_query_count_is_constant(app, f, world, count_queries):
    event, _, users, _ = world
    gest = users["gestionnaire_des_salles"]
    h = f.auth(gest, event)

    def measure():
        with count_queries() as q:
            app.get("/api/annonces/", headers=h)
        return q.count

    for i in range(5):
        create(app, f, users["participant"] if i % 2 else gest, event, title=f"a{i}")
    few = measure()
    for i in range(45):
        create(app, f, gest, event, title=f"b{i}")
    assert measure() == few
