"""The deployment recipe (docs/deploy.md, deploy/) names commands and settings that exist."""
from __future__ import annotations

import configparser
import pathlib
import re
import runpy

from pyramid.paster import get_appsettings

ROOT = pathlib.Path(__file__).resolve().parents[1]


def console_scripts() -> set[str]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    lines = cfg["options.entry_points"]["console_scripts"].strip().splitlines()
    return {line.split("=")[0].strip() for line in lines}


def test_every_makeplus_command_of_the_recipe_exists():
    scripts = console_scripts()
    texts = [ROOT / "docs" / "deploy.md", *sorted((ROOT / "deploy").rglob("*"))]
    named = set()
    for path in texts:
        if path.is_file():
            named |= set(re.findall(r"\bmakeplus-(?:db|demo|admin|worker|[a-z]+)\b(?![.@/-])",
                                    path.read_text()))
    named -= {"makeplus-web", "makeplus-core"}  # a systemd unit and the distribution
    assert named and named <= scripts, named - scripts


def test_gunicorn_config_builds_the_app_after_fork(monkeypatch):
    monkeypatch.setenv("MAKEPLUS_WORKERS", "3")
    monkeypatch.setenv("MAKEPLUS_DB_POOL_SIZE", "4")
    conf = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    assert conf["wsgi_app"] == "makeplus_core.wsgi:application"
    assert conf["preload_app"] is False and conf["worker_class"] == "gthread"
    assert conf["workers"] == 3 and conf["graceful_timeout"] >= 1


def test_production_ini_queues_jobs_and_sizes_pools_per_process(monkeypatch):
    monkeypatch.delenv("MAKEPLUS_DB_POOL_SIZE", raising=False)
    settings = get_appsettings(str(ROOT / "production.ini"), name="main")
    assert settings["makeplus.jobs.backend"] == "rq"
    assert settings["sqlalchemy.pool_size"].startswith("env:MAKEPLUS_DB_POOL_SIZE|")
    assert "makeplus.drain_file" in settings
