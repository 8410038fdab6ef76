"""``makeplus-plugin new NAME --dest DIR``: write a complete plugin distribution.

The files come from ``makeplus_core/scaffold_template`` (``*.tmpl``; ``__name__`` in a
path and ``@@name@@``, ``@@dashname@@``, ``@@title@@`` in a file are replaced). The
result is ``DIR/makeplus-NAME/``: a pyproject with the entry point, a model, its first
migration, a Cornice service scoped to the caller's event with role checks, an
access-check hook, a dashboard page, demo data, a README and tests that pass at once
(see docs/plugins.md).
"""
from __future__ import annotations

import argparse
import keyword
import pathlib
import re
import sys

TEMPLATE = pathlib.Path(__file__).resolve().parent / "scaffold_template"
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,29}$")
RESERVED = {"core", "base", "head", "heads", "api", "auth", "dashboard", "media", "static"}


class ScaffoldError(ValueError):
    pass


def check_name(name: str) -> None:
    if not NAME_RE.match(name) or name.endswith("_") or "__" in name:
        raise ScaffoldError(f"invalid plugin name {name!r}: lower-case letters, digits and single "
                            "underscores, starting with a letter, 2 to 30 characters")
    if keyword.iskeyword(name) or name in RESERVED:
        raise ScaffoldError(f"{name!r} is reserved; choose another name")
    from .plugins import installed_entry_points

    if name in installed_entry_points():
        raise ScaffoldError(f"a plugin named {name!r} is already installed")


def render(text: str, name: str) -> str:
    title = name.replace("_", " ").capitalize()
    return (text.replace("@@name@@", name).replace("@@dashname@@", name.replace("_", "-"))
            .replace("@@title@@", title))


def new(name: str, dest: str | pathlib.Path) -> pathlib.Path:
    """Write the plugin ``name`` into ``dest/makeplus-<name>/`` and return that folder."""
    check_name(name)
    return write(name, dest)


def write(name: str, dest: str | pathlib.Path) -> pathlib.Path:
    """The files of :func:`new`, without checking that no such plugin is installed."""
    root = pathlib.Path(dest).resolve() / f"makeplus-{name.replace('_', '-')}"
    if root.exists() and any(root.iterdir()):
        raise ScaffoldError(f"{root} exists and is not empty")
    for src in sorted(TEMPLATE.rglob("*.tmpl")):
        rel = src.relative_to(TEMPLATE).with_suffix("")
        target = root / pathlib.Path(*(part.replace("__name__", name) for part in rel.parts))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(src.read_text(), name))
    return root


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="makeplus-plugin", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_new = sub.add_parser("new", help="write a new plugin distribution")
    p_new.add_argument("name", help="the plugin's name (entry point, branch label, URL prefix)")
    p_new.add_argument("--dest", default=".", help="folder to create makeplus-NAME/ in (default: .)")
    args = parser.parse_args(argv)
    try:
        root = new(args.name, args.dest)
    except ScaffoldError as exc:
        print(f"makeplus-plugin: {exc}", file=sys.stderr)
        return 2
    print(f"created {root}\nnext: pip install -e {root}, add {args.name} to makeplus.plugins, "
          f"makeplus-db upgrade <ini> (docs/plugins.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
