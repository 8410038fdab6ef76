def test_health(app):
    r = app.get("/api/health/")
    assert r.json["status"] == "ok"
    assert "annonces" in r.json["plugins"]


def test_factories_and_token(app, f):
    event = f.event()
    user = f.member(event, "participant")
    r = app.get("/api/auth/me/", headers=f.auth(user, event))
    assert r.json["id"] == user.id
    assert r.json["participant"]["badge_id"] == user.badge_id
