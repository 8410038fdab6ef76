"""The four per-event roles of the seed, and the names clients may use for them."""
GESTIONNAIRE = "gestionnaire_des_salles"
CONTROLLEUR = "controlleur_des_badges"
PARTICIPANT = "participant"
EXPOSANT = "exposant"

ROLES = (GESTIONNAIRE, CONTROLLEUR, PARTICIPANT, EXPOSANT)
STAFF_ROLES = (GESTIONNAIRE, CONTROLLEUR)
# Roles that are badge holders (a Participant row exists for them in the event).
BADGE_ROLES = (PARTICIPANT, EXPOSANT)

# The core's permissions per role; plugins add theirs (makeplus_permissions hook).
PERMISSIONS = {
    GESTIONNAIRE: ["manage_event", "manage_rooms", "manage_sessions", "view_sessions", "verify_access"],
    CONTROLLEUR: ["view_sessions", "verify_access", "check_in"],
    "participant": ["view_sessions", "access_rooms", "check_in"],
    "exposant": ["view_sessions", "access_rooms"],
    "admin": ["manage_event", "manage_rooms", "manage_sessions", "view_sessions", "verify_access"],
}
