"""Import every core model so ``Base.metadata`` knows the whole core schema."""
from .access.models import RoomAccess, SessionAccess  # noqa: F401
from .agenda.models import AgendaBookmark  # noqa: F401
from .audit.models import AuditLog  # noqa: F401
from .auth.account_tokens import AccountToken  # noqa: F401
from .auth.models import AuthSession, PasswordResetToken, User  # noqa: F401
from .events.models import Event, UserEventAssignment  # noqa: F401
from .exports.models import ExportJob  # noqa: F401
from .participants.models import Participant, participant_allowed_rooms  # noqa: F401
from .rooms.models import Room  # noqa: F401
from .search import models as _search_indexes  # noqa: F401  (PostgreSQL-only indexes)
from .sessions.models import Session  # noqa: F401
from .staff.models import RoomAssignment  # noqa: F401
