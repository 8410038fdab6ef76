"""The four per-event roles of the seed, and the names clients may use for them."""
GESTIONNAIRE = "gestionnaire_des_salles"
CONTROLLEUR = "controlleur_des_badges"
PARTICIPANT = "participant"
EXPOSANT = "exposant"

ROLES = (GESTIONNAIRE, CONTROLLEUR, PARTICIPANT, EXPOSANT)
STAFF_ROLES = (GESTIONNAIRE, CONTROLLEUR)
# Roles that are badge holders (a Participant row exists for them in the event).
BADGE_ROLES = (PARTICIPANT, EXPOSANT)
