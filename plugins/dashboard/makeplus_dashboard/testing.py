"""Helpers for tests of dashboard pages (the dashboard's and plugins' own)."""
from __future__ import annotations

import re

from makeplus_core.testing import PASSWORD


def form_with(resp, field, index=0):
    """The ``index``-th form of the page holding an input named ``field``."""
    found = [f for key, f in sorted(resp.forms.items(), key=lambda kv: str(kv[0]))
             if isinstance(key, int) and field in f.fields]
    assert found, f"no form with {field!r} on {resp.request.path}"
    return found[index]


def login(app, email, password=PASSWORD, status=None):
    """Log ``app`` (WebTest, keeps cookies) into the dashboard."""
    page = app.get("/dashboard/login/")
    form = form_with(page, "password")
    form["email"] = email
    form["password"] = password
    return form.submit(status=status)


def csrf_token(resp) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', resp.text).group(1)
