"""Demo announcements for every demo event (idempotent)."""
import sqlalchemy as sa

from .models import Annonce

DEMO = [
    ("Bienvenue !", "Le badge QR de votre profil ouvre toutes les salles auxquelles vous avez droit.", "all"),
    ("Pause déjeuner", "Le déjeuner est servi à la cafétéria, niveau 2, de 12h30 à 14h.", "all"),
    ("Ateliers payants", "Les ateliers payants se règlent à la caisse du hall d'accueil.", "participants"),
    ("Montage des stands", "Les stands doivent être prêts à 8h30 chaque matin.", "exposants"),
    ("Briefing contrôle", "Briefing des contrôleurs à 8h au point d'accueil.", "controlleurs"),
    ("Réunion d'organisation", "Point d'équipe quotidien à 18h en salle de régie.", "gestionnaires"),
]


def load(db, demo):
    gest = demo.users.get("gestionnaire@makeplus.demo")
    for event in demo.events:
        for title, description, target in DEMO:
            exists = db.scalar(sa.select(Annonce.id).where(Annonce.event_id == event.id, Annonce.title == title))
            if exists is None:
                db.add(Annonce(event_id=event.id, title=title, description=description, target=target,
                               created_by_id=gest.id if gest else None))
    db.flush()
