"""Pages contributed by plugins through ``makeplus_dashboard_pages``."""
import datetime as dt

import pytest
import sqlalchemy as sa

from makeplus_dashboard.testing import form_with, login

# Written against the pages' English wording (French is the default since issue 18: tests/test_i18n.py).
pytestmark = pytest.mark.usefixtures("english")

START = dt.datetime(2026, 9, 20, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def admin(dash, f):
    f.user(email="admin@x.org", is_admin=True)
    login(dash, "admin@x.org", status=302)
    return dash


@pytest.mark.plugin("annonces")
def test_annonces_pages(admin, f, db):
    from makeplus_annonces.models import Annonce

    event = f.event(start=START)
    base = f"/dashboard/events/{event.id}/annonces/"
    page = admin.get(base)
    assert f'href="http://localhost{base}"' in page.text  # menu entry
    form = form_with(page, "title")
    form["title"] = ""
    form["description"] = "Typed text"
    r = form.submit(status=400)
    assert 'id="err-title"' in r.text and "Typed text" in r.text
    form = form_with(r, "title")
    form["title"] = "Pause café"
    form["target"] = "participants"
    form.submit(status=302)
    annonce = db.scalar(sa.select(Annonce))
    assert annonce.target == "participants" and annonce.event_id == event.id
    assert "Pause café" in admin.get(base + "?q=caf").text
    assert "Pause café" not in admin.get(base + "?target=exposants").text.split("<tbody>")[1]
    edit = admin.get(f"{base}{annonce.id}/")
    form = form_with(edit, "title")
    form["title"] = "Pause déjeuner"
    form.submit(status=302)
    db.expire_all()
    assert db.get(Annonce, annonce.id).title == "Pause déjeuner"
    aid = annonce.id
    [fm for fm in edit.forms.values() if "action" in fm.fields][0].submit(status=302)
    assert db.scalar(sa.select(sa.func.count()).select_from(Annonce).where(Annonce.id == aid)) == 0


@pytest.mark.plugin("qa")
def test_qa_moderation(admin, f, db):
    from makeplus_qa import services
    from makeplus_qa.models import Question

    event = f.event(start=START)
    room = f.room(event)
    session = f.session(event, room, title="Keynote")
    p = f.member(event, "participant")
    q = services.ask(db, session, p.id, "What about <b>3D</b>?")
    db.commit()
    page = admin.get(f"/dashboard/events/{event.id}/questions/?session={session.id}")
    assert "What about &lt;b&gt;3D&lt;/b&gt;?" in page.text and "Keynote" in page.text
    form = form_with(page, "answer_text")
    r = form.submit("action", value="answer", status=400)
    assert "write an answer" in r.text
    form = form_with(page, "answer_text")
    form["answer_text"] = "Next year"
    form.submit("action", value="answer", status=302)
    db.expire_all()
    question = db.get(Question, q.id)
    assert question.is_answered and question.answer_text == "Next year"
    form = form_with(admin.get(f"/dashboard/events/{event.id}/questions/"), "answer_text")
    form.submit("action", value="toggle", status=302)
    db.expire_all()
    assert db.get(Question, q.id).is_answered is False
    assert "No question" in admin.get(f"/dashboard/events/{event.id}/questions/?state=answered").text


@pytest.mark.plugin("caisse")
def test_caisse_pages(admin, f, db):
    from makeplus_caisse import services
    from makeplus_caisse.models import Caisse, Item, Transaction

    event = f.event(start=START)
    base = f"/dashboard/events/{event.id}"
    page = admin.get(f"{base}/caisses/")
    form = form_with(page, "email")
    form["name"] = "Desk 1"
    form["email"] = "desk1@x.org"
    form["password"] = "short"
    r = form.submit(status=400)
    assert 'id="err-password"' in r.text and 'value="desk1@x.org"' in r.text
    form = form_with(r, "email")
    form["password"] = "longenough1"
    form.submit(status=302)
    desk = db.scalar(sa.select(Caisse))
    edit = admin.get(f"{base}/caisses/{desk.id}/")
    form = form_with(edit, "email")
    form["name"] = "Desk One"
    form.submit(status=302)
    db.expire_all()
    assert db.get(Caisse, desk.id).name == "Desk One"
    items = admin.get(f"{base}/caisse/items/")
    form = form_with(items, "price")
    form["name"] = "Dîner gala"
    form["price"] = "-5"
    r = form.submit(status=400)
    assert 'id="err-price"' in r.text
    form = form_with(r, "price")
    form["price"] = "3000.00"
    form["item_type"] = "dinner"
    form.submit(status=302)
    item = db.scalar(sa.select(Item))
    assert item.name == "Dîner gala"
    assert "Dîner gala" in admin.get(f"{base}/caisse/items/?q=gala").text
    buyer = f.member(event, "participant")
    participant = f.participant_of(buyer, event)
    desk = db.get(Caisse, desk.id)
    services.sell(db, desk, str(participant.id), [str(item.id)], "cash")
    db.commit()
    stats = admin.get(f"{base}/caisse/statistics/?caisse={desk.id}")
    assert "Sales per day" in stats.text and "Dîner gala: 3000" in stats.text and "<svg" in stats.text
    txns = admin.get(f"{base}/caisse/transactions/")
    assert "Dîner gala" in txns.text and "DZD3,000.00" in txns.text  # money in the locale's format
    form = form_with(txns, "reason")
    r = form.submit(status=400)
    assert "reason" in r.text
    form = form_with(txns, "reason")
    form["reason"] = "Erreur de saisie"
    form.submit(status=302)
    assert db.scalar(sa.select(Transaction.status)) == "cancelled"
    assert "Date" not in admin.get(f"{base}/caisse/transactions/?date_from=notadate").text[:0]
    r = admin.get(f"{base}/caisse/transactions/?date_from=notadate")
    assert "not a valid date" in r.text
    # a desk that sold cannot be deleted: the 409 is shown on the page
    edit = admin.get(f"{base}/caisses/{desk.id}/")
    r = [fm for fm in edit.forms.values() if "action" in fm.fields][0].submit(status=409)
    assert "deactivate it instead" in r.text


@pytest.mark.plugin("youtube_live")
def test_youtube_field_on_session_form(admin, f, db):
    from makeplus_youtube_live.services import get_stream

    event = f.event(start=START)
    room = f.room(event)
    session = f.session(event, room)
    page = admin.get(f"/dashboard/events/{event.id}/sessions/{session.id}/")
    form = form_with(page, "youtube_live_url")
    form["youtube_live_url"] = "not a url"
    r = form.submit(status=400)
    assert 'id="err-youtube_live_url"' in r.text and 'value="not a url"' in r.text
    form = form_with(r, "title")
    form["youtube_live_url"] = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    form.submit(status=302)
    assert get_stream(db, session.id).video_id == "dQw4w9WgXcQ"
    page = admin.get(f"/dashboard/events/{event.id}/sessions/{session.id}/")
    assert 'value="https://www.youtube.com/watch?v=dQw4w9WgXcQ"' in page.text


def test_disabled_plugins_pages_vanish(make_app, f, engine):
    from makeplus_core.testing import clean_tables

    app = make_app(**{"makeplus.plugins": "dashboard annonces"})
    try:
        f.user(email="admin@x.org", is_admin=True)
        event = f.event(start=START)
        room = f.room(event)
        session = f.session(event, room)
        login(app, "admin@x.org", status=302)
        page = app.get(f"/dashboard/events/{event.id}/")
        assert "/annonces/" in page.text
        for path in ("/questions/", "/caisses/", "/caisse/items/", "/caisse/statistics/",
                     "/caisse/transactions/"):
            assert path not in page.text
            app.get(f"/dashboard/events/{event.id}{path}", status=404)
        app.get(f"/dashboard/events/{event.id}/annonces/")
        assert "youtube_live_url" not in app.get(f"/dashboard/events/{event.id}/sessions/{session.id}/").text
        app.reset()
        core_only = make_app(**{"makeplus.plugins": "annonces"})
        core_only.get("/dashboard/", status=404)
        core_only.get("/dashboard/login/", status=404)
    finally:
        app.reset()
        clean_tables(engine)
