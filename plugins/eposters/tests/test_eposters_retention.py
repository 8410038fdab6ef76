"""Submissions keep their event from being deleted; an archived event takes no more
(issue 14, "Data that must not be lost or seen")."""
from __future__ import annotations

from test_eposters_flow import ctx, outbox, put_call, submit  # noqa: F401  (fixtures)


def test_event_with_submissions_is_archived_not_deleted(app, f, ctx):  # noqa: F811
    put_call(app, ctx)
    submit(app, ctx)
    r = app.delete(f"/api/events/{ctx.event.id}/", headers=ctx.g, status=409)
    assert r.json["reason"] == "event_has_records" and r.json["records"] == {"eposter_submissions": 1}
    app.post(f"/api/events/{ctx.event.id}/archive/", headers=ctx.g, status=200)
    r = submit(app, ctx, status=409)
    assert r.json["reason"] == "event_archived"
    assert app.get(f"{ctx.base}/submissions/", headers=ctx.g).json["count"] == 1
