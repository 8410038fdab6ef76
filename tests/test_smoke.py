def test_health(app, settings):
    r = app.get("/api/health/")
    assert r.json["status"] == "ok"
    assert r.json["plugins"] == settings["makeplus.plugins"].split()


def test_factories_and_token(app, f):
    event = f.event()
    user = f.member(event, "participant")
    r = app.get("/api/auth/me/", headers=f.auth(user, event))
    assert r.json["id"] == user.id
    assert r.json["participant"]["badge_id"] == user.badge_id
