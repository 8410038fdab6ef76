"""Speaker photos and session covers are uploads (issue 18): ``POST /api/sessions/{id}/images/``
(multipart ``speaker_photo``, ``cover_image``; PNG/JPEG checked by content); the app's JSON
keeps its URL fields, which then hold the files' URLs."""
from __future__ import annotations

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
GEST = "gestionnaire_des_salles"


def test_upload_fills_the_url_fields_with_the_files_urls(app, f):
    event = f.event()
    room = f.room(event)
    session = f.session(event, room, speaker_photo_url="https://cdn.example.org/old.png")
    h = f.auth(f.member(event, GEST), event)
    url = f"/api/sessions/{session.id}/images/"
    r = app.post(url, upload_files=[("speaker_photo", "me.png", PNG)], headers=h, status=200).json
    assert r["speaker_photo_url"].startswith("http://localhost/media/session_images/")
    assert r["speaker_photo_url"].endswith(".png") and r["cover_image"] is None
    served = app.get(r["speaker_photo_url"].replace("http://localhost", ""), status=200)
    assert served.body == PNG
    r2 = app.post(url, upload_files=[("cover_image", "cover.jpg", JPEG)], headers=h, status=200).json
    assert r2["cover_image"].endswith(".jpg") and r2["speaker_photo_url"] == r["speaker_photo_url"]
    # The session's JSON for the app carries the same URLs.
    again = app.get(f"/api/sessions/{session.id}/", headers=h).json
    assert again["speaker_photo_url"] == r["speaker_photo_url"] and again["cover_image"] == r2["cover_image"]


def test_bad_uploads_are_400_naming_the_field_and_scoped(app, f):
    event, other = f.event(), f.event()
    room = f.room(event)
    session = f.session(event, room)
    h = f.auth(f.member(event, GEST), event)
    url = f"/api/sessions/{session.id}/images/"
    r = app.post(url, upload_files=[("speaker_photo", "me.png", b"%PDF-1.4 not an image")], headers=h, status=400)
    assert r.json["field"] == "speaker_photo"
    r = app.post(url, upload_files=[("cover_image", "c.png", b"GIF89a....")], headers=h, status=400)
    assert r.json["field"] == "cover_image"
    r = app.post(url, {"x": "1"}, headers=h, status=400)
    assert r.json["field"] == "speaker_photo"
    app.post_json(url, {"speaker_photo": "x"}, headers=h, status=400)
    participant = f.member(event, "participant")
    app.post(url, upload_files=[("speaker_photo", "me.png", PNG)], headers=f.auth(participant, event), status=403)
    outsider = f.auth(f.member(other, GEST), other)
    app.post(url, upload_files=[("speaker_photo", "me.png", PNG)], headers=outsider, status=404)
