"""makeplus-plugin new: names, destination, what it writes (the whole path from install
to uninstall is tests/test_plugin_sdk_path.py)."""
import ast

import pytest

from makeplus_core import plugins, scaffold


@pytest.mark.parametrize("name", ["Sponsors", "1x", "a", "spon-sors", "x__y", "x_", "class", "core", "head"])
def test_bad_names_are_refused(tmp_path, name, capsys):
    assert scaffold.main(["new", name, "--dest", str(tmp_path)]) == 2
    assert "makeplus-plugin:" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_installed_name_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(plugins, "installed_entry_points", lambda: {"sponsors": object()})
    with pytest.raises(scaffold.ScaffoldError, match="already installed"):
        scaffold.new("sponsors", tmp_path)


def test_writes_a_complete_distribution_and_never_overwrites(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(plugins, "installed_entry_points", lambda: {})
    assert scaffold.main(["new", "club_news", "--dest", str(tmp_path)]) == 0
    root = tmp_path / "makeplus-club-news"
    assert f"created {root}" in capsys.readouterr().out
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files == sorted([
        "README.md", "conftest.py", "pyproject.toml", "tests/test_club_news.py",
        "makeplus_club_news/__init__.py", "makeplus_club_news/models.py", "makeplus_club_news/schemas.py",
        "makeplus_club_news/services.py", "makeplus_club_news/views.py", "makeplus_club_news/dashboard.py",
        "makeplus_club_news/templates/dashboard.jinja2",
        "makeplus_club_news/migrations/versions/0001_club_news.py"])
    pyproject = (root / "pyproject.toml").read_text()
    assert 'name = "makeplus-club-news"' in pyproject and 'club_news = "makeplus_club_news"' in pyproject
    for path in root.rglob("*.py"):
        ast.parse(path.read_text(), str(path))
        assert "@@" not in path.read_text(), path
    migration = (root / "makeplus_club_news/migrations/versions/0001_club_news.py").read_text()
    assert "branch_labels = ('club_news',)" in migration and "depends_on = '0001_core'" in migration
    assert "create_table('club_news_items'" in migration
    with pytest.raises(scaffold.ScaffoldError, match="not empty"):
        scaffold.new("club_news", tmp_path)
