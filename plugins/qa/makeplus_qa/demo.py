"""Demo questions on the first demo event's sessions, some answered, some upvoted (idempotent)."""
import datetime as dt

import sqlalchemy as sa

from makeplus_core.plugin_api import Participant, utcnow

from .models import Question, Upvote

# session title, asker e-mail, question, answer (None: unanswered), upvoters
DEMO = [
    ("Ouverture officielle", "participant@makeplus.demo",
     "Les présentations seront-elles disponibles après l'événement ?",
     "Oui, toutes les présentations seront publiées dans l'application à la fin de la journée.",
     ["participant2@makeplus.demo", "multi@makeplus.demo"]),
    ("Ouverture officielle", "participant2@makeplus.demo",
     "Y aura-t-il une traduction simultanée en anglais ?", None,
     ["participant@makeplus.demo", "multi@makeplus.demo", "exposant@makeplus.demo"]),
    ("Ouverture officielle", "multi@makeplus.demo",
     "Où se trouve le point d'accueil des exposants ?", None, []),
    ("Intelligence Artificielle et Machine Learning", "participant@makeplus.demo",
     "Quels outils recommandez-vous pour débuter en machine learning ?", None,
     ["participant2@makeplus.demo"]),
    ("Atelier UX Design", "participant@makeplus.demo",
     "Quelles sont les prérequis pour cet atelier ?",
     "Aucun prérequis : apportez simplement un ordinateur portable avec Figma installé.", []),
]


def load(db, demo):
    if not demo.events:
        return
    event = demo.events[0]
    sessions = {s.title: s for s in demo.sessions.get(event.id, [])}
    gest = demo.users.get("gestionnaire@makeplus.demo")
    now = utcnow()
    for n, (title, email, text, answer, voters) in enumerate(DEMO):
        session, asker = sessions.get(title), demo.users.get(email)
        if session is None or asker is None:
            continue
        question = db.scalar(sa.select(Question).where(Question.session_id == session.id,
                                                       Question.question_text == text))
        if question is None:
            asked = now - dt.timedelta(minutes=50 - 7 * n)
            participant_id = db.scalar(sa.select(Participant.id).where(Participant.event_id == event.id,
                                                                      Participant.user_id == asker.id))
            question = Question(event_id=event.id, session_id=session.id, user_id=asker.id,
                                participant_id=participant_id, question_text=text, asked_at=asked)
            if answer:
                question.is_answered = True
                question.answer_text = answer
                question.answered_by_id = gest.id if gest else None
                question.answered_at = asked + dt.timedelta(minutes=5)
            db.add(question)
            db.flush()
        for voter_email in voters:
            voter = demo.users.get(voter_email)
            if voter is not None and db.get(Upvote, (question.id, voter.id)) is None:
                db.add(Upvote(question_id=question.id, user_id=voter.id))
    db.flush()
