"""Statistics by role: money only for gestionnaires and admins, and every plugin
section is told who asks (issue 14, "Data that must not be lost or seen")."""
from __future__ import annotations

import pytest

from makeplus_core import hookimpl

ROLES = ("gestionnaire_des_salles", "controlleur_des_badges", "participant", "exposant")


class RoleSpy:
    def __init__(self):
        self.roles = []

    @hookimpl
    def makeplus_event_statistics(self, dbsession, event_id, role):
        self.roles.append(role)
        return {"spy": {"role": role}}


@pytest.fixture
def spy(app):
    pm = app.app.registry.makeplus.plugins
    s = RoleSpy()
    pm.register(s, name="test-role-spy")
    yield s
    pm.unregister(name="test-role-spy")


@pytest.mark.parametrize("role", ROLES)
def test_roles_reach_the_hook_and_money_is_staff_only(app, f, spy, role):
    event = f.event()
    user = f.member(event, role)
    h = f.auth(user, event)
    stats = app.get(f"/api/events/{event.id}/statistics/", headers=h).json
    dash = app.get("/api/dashboard/stats/", headers=h).json
    assert stats["spy"] == {"role": role} and dash["spy"] == {"role": role}
    assert ("ateliers_revenue" in stats) is (role == "gestionnaire_des_salles")
    assert stats["total_participants"] == (1 if role in ("participant", "exposant") else 0)


def test_platform_admin_is_admin(app, f, spy):
    event = f.event()
    admin = f.user(is_admin=True)
    f.assign(admin, event, "participant")  # even with a participant role, an admin sees every figure
    h = f.auth(admin, event)
    stats = app.get(f"/api/events/{event.id}/statistics/", headers=h).json
    assert stats["spy"] == {"role": "admin"} and "ateliers_revenue" in stats
    assert app.get("/api/dashboard/stats/", headers=h).json["spy"] == {"role": "admin"}
