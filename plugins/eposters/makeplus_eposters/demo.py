"""Demo e-posters on the first demo event (idempotent): an open call, a committee,
submissions at each stage (pending, accepted with code, rejected) and final posters
(small generated PDFs written under the storage root) in the gallery."""
from __future__ import annotations

import datetime as dt
import pathlib
import secrets
import types

import sqlalchemy as sa

from makeplus_core.plugin_api import storage, utcnow

from . import services
from .models import Call, CommitteeMember, Review, Submission
from .pdf import simple_pdf

ABSTRACT = {
    "introduction": "Contexte et objectifs de l'étude.",
    "methods": "Étude prospective sur 120 cas, analyse statistique standard.",
    "results": "Amélioration significative des indicateurs mesurés.",
    "conclusion": "Les résultats encouragent une validation à plus grande échelle.",
}

# title, theme, status, authors, final (authors, co_authors) or None, reason
SUBMISSIONS = [
    ("Détection précoce par apprentissage profond", "IA", "accepted",
     [("Dr. Nadia Khelifi", "CHU Mustapha"), ("Dr. Omar Saadi", "USTHB")],
     ("Nadia Khelifi, Omar Saadi", "Lina Haddad"), None),
    ("Conception centrée utilisateur des dossiers patients", "Design", "accepted",
     [("Meriem Bouzid", "École de design d'Alger")], ("Meriem Bouzid", "Yacine Amrani, Sofia Belkacem"), None),
    ("Financement participatif de la recherche clinique", "Financement", "accepted",
     [("Rachid Ferhat", "Université d'Oran")], ("Rachid Ferhat", ""), None),
    ("Modèles de langage pour le tri des urgences", "IA", "accepted",
     [("Dr. Amel Touati", "CHU Oran")], None, None),
    ("Tableaux de bord pour les blocs opératoires", "Design", "pending",
     [("Hakim Zerrouki", "CHU Constantine")], None, None),
    ("Capteurs connectés et suivi post-opératoire", "IA", "pending",
     [("Salima Rahmani", "USTHB"), ("Kamel Djebbar", "USTHB")], None, None),
    ("Crypto-actifs et levée de fonds hospitalière", "Financement", "rejected",
     [("Anis Mokrani", "Indépendant")], None, "Hors du périmètre scientifique du congrès."),
]


def _storage_root(demo) -> pathlib.Path:
    return storage.storage_root(types.SimpleNamespace(settings=getattr(demo, "settings", None) or {}))


def load(db, demo):
    event = demo.events[0]
    now = utcnow().replace(microsecond=0)
    call = db.scalar(sa.select(Call).where(Call.event_id == event.id))
    if call is None:
        call = Call(event_id=event.id, title="Appel à communications affichées (e-posters)",
                    description="Soumettez un résumé structuré ; le comité scientifique répond par e-mail.",
                    opens_at=now - dt.timedelta(days=10), closes_at=now + dt.timedelta(days=20),
                    required_validations=2, themes=list(event.themes or ["IA", "Design", "Financement"]),
                    is_published=True, last_number=0)
        db.add(call)
        db.flush()
    reviewers = [demo.users[e] for e in ("gestionnaire@makeplus.demo", "participant2@makeplus.demo",
                                         "multi@makeplus.demo") if e in demo.users]
    for user in reviewers[1:]:
        if not services.is_committee(db, event.id, user.id):
            db.add(CommitteeMember(event_id=event.id, user_id=user.id))
    db.flush()
    root = _storage_root(demo)
    year = event.start_date.year
    for i, (title, theme, status, authors, final, reason) in enumerate(SUBMISSIONS):
        if db.scalar(sa.select(Submission.id).where(Submission.event_id == event.id, Submission.title == title)):
            continue
        first, _, last = authors[0][0].replace("Dr. ", "").partition(" ")
        sub = Submission(event_id=event.id, status=status, author_first_name=first, author_last_name=last,
                         author_email=f"auteur{i + 1}@example.org", institution=authors[0][1], theme=theme,
                         title=title, authors=[{"name": n, "affiliation": a} for n, a in authors],
                         abstract_introduction=ABSTRACT["introduction"], abstract_methods=ABSTRACT["methods"],
                         abstract_results=ABSTRACT["results"], abstract_conclusion=ABSTRACT["conclusion"],
                         submitted_at=now - dt.timedelta(days=9 - i))
        db.add(sub)
        db.flush()
        if status == "accepted":
            for user in reviewers[1:1 + call.required_validations]:
                db.add(Review(submission_id=sub.id, reviewer_id=user.id, decision="accept", comment="Très bien."))
            number = db.execute(sa.update(Call).where(Call.id == call.id)
                                .values(last_number=Call.last_number + 1).returning(Call.last_number)).scalar_one()
            sub.contribution_number = number
            sub.code = f"EP-{year}-{number:04d}"
            sub.decided_at = now - dt.timedelta(days=2)
            sub.final_token_hash = services.hash_token(secrets.token_urlsafe(32))
            sub.final_token_expires_at = now + dt.timedelta(days=services.DEFAULT_FINAL_LINK_DAYS)
            if final is not None:
                rel = f"eposters/demo/{sub.code}.pdf"
                path = root / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(simple_pdf(title[:60], [sub.code, f"Auteurs : {final[0]}",
                                                         f"Co-auteurs : {final[1] or '-'}", f"Thème : {theme}"]))
                sub.final_title, sub.final_authors, sub.final_co_authors = title, final[0], final[1]
                sub.poster_pdf = rel
                sub.final_submitted_at = now - dt.timedelta(days=1)
                sub.final_token_used_at = sub.final_submitted_at
        elif status == "rejected":
            if reviewers:
                db.add(Review(submission_id=sub.id, reviewer_id=reviewers[-1].id, decision="reject",
                              comment=reason))
            sub.decision_reason = reason
            sub.decided_at = now - dt.timedelta(days=3)
        elif i == 4 and len(reviewers) > 1:  # one pending submission with one of its two validations
            db.add(Review(submission_id=sub.id, reviewer_id=reviewers[1].id, decision="accept", comment="OK."))
        db.flush()
