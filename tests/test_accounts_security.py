"""Issue 14, "Critical: account takeover": accounts belong to their owners.

The takeover chain (enrol by id + e-mail change + reset), enrolment by e-mail with
invitations, event staff limited to event-level fields, e-mail verification and the
user's own e-mail change. Everything through the HTTP API.
"""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from makeplus_core.auth.account_tokens import AccountToken
from makeplus_core.auth.models import User
from makeplus_core.db import utcnow
from makeplus_core.events.models import UserEventAssignment
from makeplus_core.participants.models import Participant
from makeplus_core.testing import PASSWORD

G = "gestionnaire_des_salles"
INVITE = re.compile(r"/account/invitation/\?token=([A-Za-z0-9_-]+)")
VERIFY = re.compile(r"/account/verify-email/\?token=([A-Za-z0-9_-]+)")


@pytest.fixture
def outbox(app):
    box = app.app.registry.makeplus.mailer.outbox
    box.clear()
    return box


@pytest.fixture
def world(f):
    event = f.event(name="Attacker Fest")
    gest = f.member(event, G, email="gest@evil.example")
    admin = f.user(email="root@makeplus.example", is_admin=True, phone="+213 111", organization="Platform Inc")
    return {"event": event, "gest": gest, "g": f.auth(gest, event), "admin": admin}


def mails_to(outbox, address):
    return [m for m in outbox if address in m.recipients]


def code_from(outbox, address, pattern):
    mails = mails_to(outbox, address)
    assert mails, f"no mail to {address}"
    return pattern.search(mails[-1].body).group(1)


def login(app, email, password=PASSWORD, status=200):
    return app.post_json("/api/auth/token/", {"email": email, "password": password}, status=status)


# --------------------------------------------------------------------------- the takeover chain


def test_takeover_chain_fails_at_enrolment_by_id(app, f, db, world, outbox):
    """The issue's chain: enrol the admin by id, rewrite their e-mail, reset the password."""
    admin, g = world["admin"], world["g"]
    # step 1: refused, nothing written
    r = app.post_json("/api/participants/", {"user": admin.id}, headers=g, status=403)
    assert r.json["field"] == "user"
    r = app.post_json("/api/participants/", {"user_id": admin.id}, headers=g, status=403)
    assert r.json["field"] == "user"
    r = app.post_json("/api/user-assignments/", {"user": admin.id, "role": G}, headers=g, status=403)
    assert r.json["field"] == "user"
    assert db.scalar(sa.select(sa.func.count()).select_from(UserEventAssignment)
                     .where(UserEventAssignment.user_id == admin.id)) == 0
    db.commit()
    # the rest of the chain has nothing to work on: the reset goes to the admin's own address
    app.post_json("/api/auth/password-reset/", {"email": "gest@evil.example"})
    app.post_json("/api/auth/password-reset/", {"email": admin.email})
    assert [m.recipients for m in outbox if "réinitialisez" in m.subject] == [["gest@evil.example"], [admin.email]]  # mails are French by default
    login(app, admin.email)


def test_takeover_by_email_enrolment_fails_at_email_change(app, f, db, world, outbox):
    """The same chain with the admin's address: enrolment is the organiser's usual case, so it
    succeeds (revealing only what was typed); the e-mail change is refused."""
    admin, g = world["admin"], world["g"]
    r = app.post_json("/api/participants/", {"email": admin.email.upper()}, headers=g, status=201)
    body = r.json
    # nothing of the account beyond what the organiser typed
    assert body["email"] == admin.email and body["first_name"] == "" and body["last_name"] == ""
    assert body["phone"] is None and body["organization"] is None
    assert body["badge_id"] is None and body["qr_code_data"] is None
    assert body["invitation_sent"] is False
    assert "+213 111" not in r.text and "Platform Inc" not in r.text and admin.badge_id not in r.text
    # the owner is told
    assert [m.subject for m in mails_to(outbox, admin.email)] == ["MakePlus : vous avez été ajouté(e) à Attacker Fest"]
    pid = body["id"]
    # step 2 refused: the login e-mail is the account's
    r = app.patch_json(f"/api/participants/{pid}/", {"email": "gest+admin@evil.example"}, headers=g, status=403)
    assert r.json["field"] == "email"
    db.expire_all()
    assert db.get(User, admin.id).email == admin.email
    db.commit()
    # step 3: the reset goes to the admin's address, never the attacker's
    outbox.clear()
    app.post_json("/api/auth/password-reset/", {"email": "gest+admin@evil.example"})
    app.post_json("/api/auth/password-reset/", {"email": admin.email})
    assert [m.recipients for m in outbox] == [[admin.email]]


# --------------------------------------------------------------------------- event staff vs accounts


@pytest.mark.parametrize("field,value", [("email", "x@evil.example"), ("first_name", "Pwned"),
                                         ("last_name", "Pwned"), ("job_title", "CEO"), ("password", "hunter22!"),
                                         ("badge_id", "USER-1-AAAAAAAA"), ("username", "pwned"),
                                         ("profile_photo_url", "https://evil.example/x.png"),
                                         ("is_admin", True), ("is_active", False)])
def test_staff_cannot_write_account_fields(app, f, db, world, field, value):
    event = world["event"]
    person = f.member(event, "participant", phone="+213 222", organization="Own Org")
    row = f.participant_of(person, event)
    db.commit()
    before = {k: getattr(person, k) for k in ("email", "first_name", "last_name", "job_title", "password_hash",
                                              "badge_id", "username", "is_admin", "is_active")}
    for method in (app.patch_json, app.put_json):
        r = method(f"/api/participants/{row.id}/", {field: value, "notes": "n"}, headers=world["g"], status=403)
        assert r.json["field"] == field
    db.expire_all()
    user = db.get(User, person.id)
    assert {k: getattr(user, k) for k in before} == before
    assert db.get(Participant, row.id).notes == ""
    db.commit()


def test_staff_edit_event_level_fields_and_put_whole_item(app, f, db, world):
    event, g = world["event"], world["g"]
    person = f.member(event, "participant", phone="+213 222", organization="Own Org")
    row = f.participant_of(person, event)
    db.commit()
    item = app.get(f"/api/participants/{row.id}/", headers=g).json
    # the account's own phone/organisation are not shown to event staff (event-level values are)
    assert item["phone"] is None and item["organization"] is None
    # a PUT of the whole item (account fields unchanged) is accepted
    item.update(phone="+213 999", organization="Booth 12", notes="VIP", badge_number="VIP-1")
    r = app.put_json(f"/api/participants/{row.id}/", item, headers=g, status=200)
    assert (r.json["phone"], r.json["organization"], r.json["badge_number"]) == ("+213 999", "Booth 12", "VIP-1")
    db.expire_all()
    user = db.get(User, person.id)
    assert (user.phone, user.organization) == ("+213 222", "Own Org")  # the account is untouched
    db.commit()
    # a participant row never changes hands
    other = f.user()
    r = app.patch_json(f"/api/participants/{row.id}/", {"user": other.id}, headers=g, status=403)
    assert r.json["field"] == "user"
    # platform admins may correct names, not the address
    ah = f.auth(world["admin"])
    r = app.patch_json(f"/api/participants/{row.id}/?event={event.id}", {"first_name": "Fixed"}, headers=ah)
    assert r.json["first_name"] == "Fixed"
    r = app.patch_json(f"/api/participants/{row.id}/?event={event.id}", {"email": "n@x.example"}, headers=ah,
                       status=403)
    assert r.json["field"] == "email"


def test_admin_enrols_by_id(app, f, world):
    person = f.user()
    ah = f.auth(world["admin"])
    r = app.post_json(f"/api/participants/?event={world['event'].id}", {"user": person.id}, status=201,
                      headers=ah)
    assert r.json["user"] == person.id and r.json["badge_id"] == person.badge_id
    r = app.post_json(f"/api/participants/?event={world['event'].id}", {"user": 10 ** 6}, headers=ah, status=400)
    assert r.json["field"] == "user"


# --------------------------------------------------------------------------- invitations


def test_unknown_email_gets_an_invitation(app, f, db, world, outbox):
    g = world["g"]
    r = app.post_json("/api/participants/", {"email": "Nadia@New.example", "first_name": "Nadia",
                                             "last_name": "K", "phone": "+213 5"}, headers=g, status=201)
    body = r.json
    assert body["invitation_sent"] is True and body["name"] == "Nadia K" and body["phone"] == "+213 5"
    assert body["badge_id"].startswith(f"USER-{body['user']}-")  # a new account: its badge can be printed
    # no usable password until the invitation is used
    login(app, "nadia@new.example", "anything-at-all", status=401)
    stored = db.scalars(sa.select(AccountToken.token_hash)).all()
    code = code_from(outbox, "nadia@new.example", INVITE)
    assert code not in stored and len(stored) == 1  # only the hash is kept
    db.commit()
    # the page: GET shows a form and changes nothing
    page = app.get(f"/account/invitation/?token={code}")
    assert page.content_type == "text/html" and "<form method=post" in page.text and "nadia@new.example" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    r = app.post("/account/invitation/", {"token": code, "password": "short"}, status=400)
    assert "at least" in r.text or "Shorter" in r.text
    r = app.post("/account/invitation/", {"token": code, "password": "my-own-pass-1"}, status=200)
    assert "Votre mot de passe est enregistré" in r.text  # the page is French by default
    d = login(app, "nadia@new.example", "my-own-pass-1").json
    assert d["user"]["email_verified"] is True  # the link proved the address
    # single use
    app.post("/account/invitation/", {"token": code, "password": "again-pass-1"}, status=400)
    app.get(f"/account/invitation/?token={code}", status=400)
    app.post_json("/api/auth/invitation/accept/", {"token": code, "password": "again-pass-1"}, status=400)


def test_invitation_json_expiry_and_supersession(app, f, db, world, outbox):
    g = world["g"]
    app.post_json("/api/user-assignments/", {"email": "ctrl@new.example", "role": "controlleur_des_badges"},
                  headers=g, status=201)
    first = code_from(outbox, "ctrl@new.example", INVITE)
    # a second enrolment elsewhere supersedes the first link
    other = f.event()
    og = f.auth(f.member(other, G), other)
    app.post_json("/api/participants/", {"email": "ctrl@new.example"}, headers=og, status=201)
    second = code_from(outbox, "ctrl@new.example", INVITE)
    assert first != second
    r = app.post_json("/api/auth/invitation/accept/", {"token": first, "password": "pass-pass-1"}, status=400)
    assert r.json["field"] == "token"
    r = app.post_json("/api/auth/invitation/accept/", {"token": second, "password": "x"}, status=400)
    assert r.json["field"] == "password"
    db.execute(sa.update(AccountToken).values(expires_at=utcnow()))
    db.commit()
    r = app.post_json("/api/auth/invitation/accept/", {"token": second, "password": "pass-pass-1"}, status=400)
    assert r.json["field"] == "token"


def test_unverified_account_is_reclaimed_by_the_address(app, f, db, world, outbox):
    """Someone registers with the victim's address (unverified) before the organiser enrols it:
    the squatter loses the account, the address's owner gets the invitation."""
    app.post_json("/api/auth/register/", {"email": "victim@mail.example", "password": "squatter-pass"},
                  status=201)
    squat = login(app, "victim@mail.example", "squatter-pass").json
    h = {"Authorization": f"Bearer {squat['access']}"}
    assert app.get("/api/auth/me/", headers=h).json["email_verified"] is False
    r = app.post_json("/api/participants/", {"email": "victim@mail.example"}, headers=world["g"], status=201)
    assert r.json["invitation_sent"] is True and r.json["badge_id"] is None
    login(app, "victim@mail.example", "squatter-pass", status=401)
    app.get("/api/auth/me/", headers=h, status=401)
    code = code_from(outbox, "victim@mail.example", INVITE)
    app.post_json("/api/auth/invitation/accept/", {"token": code, "password": "rightful-owner"}, status=200)
    d = login(app, "victim@mail.example", "rightful-owner").json
    assert d["event"]["id"] == str(world["event"].id)


# --------------------------------------------------------------------------- verification


def test_registration_sends_a_single_use_verification(app, f, db, outbox):
    r = app.post_json("/api/auth/register/", {"email": "New@Reg.example", "password": "reg-pass-123"}, status=201)
    assert r.json["email_verified"] is False
    code = code_from(outbox, "new@reg.example", VERIFY)
    h = {"Authorization": f"Bearer {login(app, 'new@reg.example', 'reg-pass-123').json['access']}"}
    assert app.get("/api/auth/me/", headers=h).json["email_verified"] is False
    # GET (a mail scanner following the link) changes nothing
    page = app.get(f"/account/verify-email/?token={code}")
    assert "<form method=post" in page.text
    assert app.get("/api/auth/me/", headers=h).json["email_verified"] is False
    # a new link supersedes the first
    app.post("/api/auth/verify-email/resend/", headers=h, status=200)
    second = code_from(outbox, "new@reg.example", VERIFY)
    app.post_json("/api/auth/verify-email/", {"token": code}, status=400)
    r = app.post("/account/verify-email/", {"token": second}, status=200)
    assert "est confirmée" in r.text  # the page is French by default
    assert app.get("/api/auth/me/", headers=h).json["email_verified"] is True
    r = app.post_json("/api/auth/verify-email/", {"token": second}, status=400)
    assert r.json["field"] == "token"
    assert app.post("/api/auth/verify-email/resend/", headers=h).json["email_verified"] is True


def test_email_change_by_the_user(app, f, db, outbox):
    user = f.user(email="old@mail.example")
    taken = f.user(email="taken@mail.example")
    h = f.auth(user)
    url = "/api/auth/change-email/"
    r = app.post_json(url, {"new_email": "new@mail.example", "password": "wrong"}, headers=h, status=400)
    assert r.json["field"] == "password"
    r = app.post_json(url, {"new_email": taken.email, "password": PASSWORD}, headers=h, status=409)
    assert r.json["field"] == "new_email"
    r = app.post_json(url, {"new_email": "nope", "password": PASSWORD}, headers=h, status=400)
    assert r.json["field"] == "new_email"
    r = app.post_json(url, {"new_email": "New@Mail.example", "password": PASSWORD}, headers=h, status=202)
    assert r.json["email"] == "old@mail.example" and r.json["pending_email"] == "new@mail.example"
    # nothing changes until the new address is proved
    login(app, "old@mail.example")
    code = code_from(outbox, "new@mail.example", VERIFY)
    r = app.post_json("/api/auth/verify-email/", {"token": code}, status=200)
    assert r.json["email"] == "new@mail.example"
    login(app, "new@mail.example")
    login(app, "old@mail.example", status=401)
    assert [m.subject for m in mails_to(outbox, "old@mail.example")] == ["MakePlus : votre adresse e-mail a été changée"]
    # PATCH /auth/me/ still refuses the address (the change goes through verification)
    r = app.patch_json("/api/auth/me/", {"email": "x@mail.example"}, headers=h, status=400)
    assert r.json["field"] == "email"
