"""REST: /api/session-questions/ (seed "Session Questions (Q&A) Endpoints",
CLIENT_CONTRACT §Session questions) and /api/sessions/{id}/questions/.

Any member of the event reads and asks; only the asker edits an unanswered question;
only a gestionnaire of the event (or an admin) answers. The asker is never rendered.
"""
from __future__ import annotations

from makeplus_core.plugin_api import GESTIONNAIRE, api, errors

from . import schemas, services


def _scope(request):
    """(identity, event id, role); 403 for a token that is not a member of the event."""
    ident = api.identity(request)
    event_id = api.require_event(request)
    role = api.role_in_event(request, event_id)
    if role is None and not ident.is_admin:
        raise errors.Forbidden("You are not a member of this event")
    return ident, event_id, role


def _is_gestionnaire(ident, role) -> bool:
    return ident.is_admin or role == GESTIONNAIRE


def _one(request, obj):
    return services.serialize(request.dbsession, [obj], api.identity(request).user_id)[0]


def _list(request, event_id, role, session_id=None):
    ident = api.identity(request)
    q = api.validate(schemas.QuestionQuery(), {k: v for k, v in request.GET.items() if k == "ordering"},
                     partial=True)
    q["is_answered"] = api.parse_bool(api.param(request, "is_answered"), "is_answered")
    q["mine"] = api.parse_bool(api.param(request, "mine"), "mine")
    asker = None
    participant = api.param(request, "participant", "participant_id")
    if participant is not None:
        if not _is_gestionnaire(ident, role):
            raise errors.Forbidden("Only a gestionnaire can filter questions by participant")
        asker = services.participant_user_id(request.dbsession, participant, event_id)
    if q.get("mine"):
        if asker is not None and asker != ident.user_id:
            asker = -1  # both filters: nothing matches
        else:
            asker = ident.user_id
    stmt = services.list_query(event_id, session_id=session_id, asker_user_id=asker,
                               is_answered=q.get("is_answered"), ordering=q.get("ordering"))
    return api.paginate(request, stmt, lambda rows: services.serialize(request.dbsession, rows, ident.user_id))


questions = api.service("qa_questions", "/api/session-questions/", "Questions asked about the sessions of my event")


@questions.get(schema=api.doc(querystring=schemas.QuestionQuery))
def list_questions(request):
    ident, event_id, role = _scope(request)
    session = api.param(request, "session", "session_id")
    session_id = services.parse_id(session, "session") if session is not None else None
    return _list(request, event_id, role, session_id)


def _ask(request, session, data):
    ident = api.identity(request)
    obj = services.ask(request.dbsession, session, ident.user_id, data["question_text"])
    request.response.status = 201
    return _one(request, obj)


@questions.post(schema=api.doc(schemas.QuestionSchema))
def create_question(request):
    ident, event_id, role = _scope(request)
    raw = api.json_body(request)
    if raw.get("session") in (None, "") and raw.get("session_id") not in (None, ""):
        raw["session"] = raw["session_id"]
    data = api.validate(schemas.QuestionSchema(), {k: raw.get(k) for k in ("session", "question_text")
                                                   if raw.get(k) is not None})
    session = services.get_session(request.dbsession, services.parse_id(data["session"], "session"), event_id)
    return _ask(request, session, data)


session_questions = api.service("qa_session_questions", f"/api/sessions/{api.UUID_ID}/questions/",
                                "The questions of one session")


@session_questions.get(schema=api.doc(querystring=schemas.QuestionQuery))
def list_session_questions(request):
    ident, event_id, role = _scope(request)
    session = services.get_session(request.dbsession, request.matchdict["id"], event_id, field="id")
    return _list(request, event_id, role, session.id)


@session_questions.post(schema=api.doc(schemas.SessionQuestionSchema))
def create_session_question(request):
    ident, event_id, role = _scope(request)
    session = services.get_session(request.dbsession, request.matchdict["id"], event_id, field="id")
    raw = api.json_body(request)
    data = api.validate(schemas.SessionQuestionSchema(),
                        {"question_text": raw["question_text"]} if raw.get("question_text") is not None else {})
    return _ask(request, session, data)


question = api.service("qa_question", f"/api/session-questions/{api.UUID_ID}/", "One session question")


@question.get()
def get_question(request):
    ident, event_id, role = _scope(request)
    return _one(request, services.get_question(request.dbsession, request.matchdict["id"], event_id))


@question.patch(schema=api.doc(schemas.QuestionUpdateSchema))
@question.put(schema=api.doc(schemas.QuestionUpdateSchema))
def update_question(request):
    ident, event_id, role = _scope(request)
    obj = services.get_question(request.dbsession, request.matchdict["id"], event_id)
    raw = api.json_body(request)
    if request.method == "PATCH" and "question_text" not in raw:
        services.edit(request.dbsession, obj, ident.user_id, obj.question_text)  # same permission checks
        return _one(request, obj)
    data = api.validate(schemas.QuestionUpdateSchema(),
                        {"question_text": raw["question_text"]} if raw.get("question_text") is not None else {})
    services.edit(request.dbsession, obj, ident.user_id, data["question_text"])
    return _one(request, obj)


@question.delete()
def delete_question(request):
    ident, event_id, role = _scope(request)
    obj = services.get_question(request.dbsession, request.matchdict["id"], event_id)
    services.check_can_delete(obj, ident.user_id, _is_gestionnaire(ident, role))
    request.dbsession.delete(obj)
    return api.no_content()


answer = api.service("qa_question_answer", f"/api/session-questions/{api.UUID_ID}/answer/",
                     "Answer a question (gestionnaire); without answer_text, toggle is_answered")


@answer.post(schema=api.doc(schemas.AnswerSchema))
def answer_question(request):
    ident, event_id, role = _scope(request)
    obj = services.get_question(request.dbsession, request.matchdict["id"], event_id)
    if not _is_gestionnaire(ident, role):
        raise errors.Forbidden("Only a gestionnaire of the event can answer questions")
    raw = api.json_body(request)
    if "answer_text" in raw and raw["answer_text"] is not None and (
            not isinstance(raw["answer_text"], str) or not raw["answer_text"].strip()):
        raise errors.Invalid("answer_text: must be a non-empty text (send no body to toggle is_answered)",
                             field="answer_text")
    data = api.validate(schemas.AnswerSchema(),
                        {"answer_text": raw["answer_text"]} if raw.get("answer_text") is not None else {})
    services.answer(request.dbsession, obj, ident.user_id, data.get("answer_text"))
    return _one(request, obj)


def _vote(request, change):
    """Add (``services.upvote``) or take back (``services.remove_upvote``) the caller's vote."""
    ident, event_id, _role = _scope(request)
    obj = services.get_question(request.dbsession, request.matchdict["id"], event_id)
    change(request.dbsession, obj, ident.user_id)
    return _one(request, obj)


upvote = api.service("qa_question_upvote", f"/api/session-questions/{api.UUID_ID}/upvote/",
                     "Upvote a question once (POST, idempotent) or withdraw the vote (DELETE)")


@upvote.post()
def upvote_question(request):
    return _vote(request, services.upvote)


@upvote.delete()
def remove_upvote(request):
    return _vote(request, services.remove_upvote)
