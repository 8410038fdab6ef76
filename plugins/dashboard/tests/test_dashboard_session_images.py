"""The session form uploads the speaker's photo and the cover image (no URL fields), checked
by content; editing without a file keeps the images (issue 18)."""
import datetime as dt

import sqlalchemy as sa
import webtest

from makeplus_core.plugin_api import Session
from makeplus_dashboard.testing import form_with, login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _session(db, title):
    db.expire_all()
    s = db.scalar(sa.select(Session).where(Session.title == title))
    db.commit()
    return s


def test_session_images_are_uploads(dash, f, db):
    event = f.event()
    room = f.room(event)
    gest = f.member(event, "gestionnaire_des_salles")
    login(dash, gest.email)
    page = dash.get(f"/dashboard/events/{event.id}/sessions/new/")
    assert 'name="speaker_photo_url"' not in page.text and 'type="file"' in page.text
    form = form_with(page, "title")
    form["title"] = "Keynote"
    form["room"] = str(room.id)
    form["start_time"] = (event.start_date + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    form["end_time"] = (event.start_date + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    form["speaker_photo"] = webtest.Upload("me.png", PNG, "image/png")
    form.submit(status=302)
    s = _session(db, "Keynote")
    photo = s.speaker_photo_url
    assert s.speaker_photo_url.startswith("session_images/") and s.speaker_photo_url.endswith(".png")
    assert s.cover_image is None
    # Edit: a bad cover is refused naming the field, nothing written; a JPEG is stored; no file keeps them.
    edit = dash.get(f"/dashboard/events/{event.id}/sessions/{s.id}/")
    assert 'id="current-images"' in edit.text
    form = form_with(edit, "title")
    form["cover_image"] = webtest.Upload("cover.gif", b"GIF89a....", "image/gif")
    r = form.submit(status=400)
    assert 'id="err-cover_image"' in r.text
    form = form_with(edit, "title")
    form["cover_image"] = webtest.Upload("cover.jpg", JPEG, "image/jpeg")
    form.submit(status=302)
    s2 = _session(db, "Keynote")
    assert s2.cover_image.endswith(".jpg") and s2.speaker_photo_url == photo
    form = form_with(dash.get(f"/dashboard/events/{event.id}/sessions/{s.id}/"), "title")
    form["title"] = "Keynote 2"
    form.submit(status=302)
    cover = s2.cover_image
    s3 = _session(db, "Keynote 2")
    assert s3.cover_image == cover and s3.speaker_photo_url == photo
    # The app's JSON: the URL fields hold the files' URLs.
    api = webtest.TestApp(dash.app)
    j = api.get(f"/api/sessions/{s.id}/", headers=f.auth(gest, event)).json
    assert j["speaker_photo_url"] == f"http://localhost/media/{photo}"
