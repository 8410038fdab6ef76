"""Question moderation page of the web dashboard (via ``makeplus_dashboard_pages``)."""
from __future__ import annotations

import sqlalchemy as sa

from makeplus_core.plugin_api import Session, api, errors

from . import schemas, services

TEMPLATE = "makeplus_qa:templates/dashboard.jinja2"


def register(dashboard):
    def moderation(request, event):
        db = request.dbsession
        if request.method == "POST":
            question = services.get_question(db, request.POST.get("question", ""), event.id)
            text = None
            if request.POST.get("action") == "answer":
                text = api.validate(schemas.AnswerSchema(), dashboard.form(request, "question", "action")).get(
                    "answer_text")
                if not text:
                    raise errors.Invalid("answer_text: write an answer", field="answer_text")
            services.answer(db, question, request.identity.user_id, text)
            dashboard.flash(request, "Question updated.")
            return dashboard.redirect(request, "qa", event)
        sessions = db.execute(sa.select(Session.id, Session.title).where(Session.event_id == event.id)
                              .order_by(Session.start_time, Session.title)).all()
        chosen = request.GET.get("session", "")
        sid = next((s for s, _ in sessions if str(s) == chosen), None)
        state = {"open": False, "answered": True}.get(request.GET.get("state", ""))
        pg = dashboard.paginate(request, services.list_query(event.id, session_id=sid, is_answered=state,
                                                             ordering="-upvotes"))
        return {"pg": pg, "questions": services.serialize(db, pg["rows"], None), "sessions": sessions,
                "session": chosen, "state": request.GET.get("state", ""), "active": "qa"}

    dashboard.add_page("qa", "questions", moderation, TEMPLATE, "Questions", order=60, methods=("GET", "POST"))

    def question(entry):
        text = (entry.changes or {}).get("question_text", [None, ""])[1] or ""
        return text if len(text) <= 80 else text[:79] + "…"

    dashboard.add_activity("qa_questions", "Question", describe=question,
                           link=lambda request, event, e: dashboard.url(request, "qa", event))
