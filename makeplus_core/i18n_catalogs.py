"""Message catalogs of the core and of every plugin of this repository (one ``makeplus``
domain, one catalog per distribution, see :mod:`makeplus_core.i18n`).

    python -m makeplus_core.i18n_catalogs update    # extract, then merge into every .po (new strings empty)
    python -m makeplus_core.i18n_catalogs compile   # .po -> .mo (make install does it)
    python -m makeplus_core.i18n_catalogs check     # exit 1 when a string is missing or untranslated

Strings are found by Babel in templates (``_()``, ``ngettext()``, ``{% trans %}``) and in
Python: ``_``/``N_``, ``t("…")`` (a translate partial), ``translate(request, "…")``, ``flash(request, "…")``, dashboard page
titles (``add_page``'s 5th argument) and the messages of the API's errors
(``Invalid("…")``, ``NotFound("…")`` …).
"""
from __future__ import annotations

import io
import pathlib
import sys

DOMAIN = "makeplus"
LOCALES = ("fr", "en")
ROOT = pathlib.Path(__file__).resolve().parent.parent
ERRORS = ("DomainError", "Invalid", "NotAuthenticated", "PaymentRequired", "Forbidden", "NotFound", "Conflict",
          "TooLarge", "UnsupportedMediaType", "RateLimited")
KEYWORDS = {"_": None, "N_": None, "t": None, "gettext": None, "ngettext": (1, 2), "translate": (2,), "flash": (2,),
            "add_page": (5,), "add_activity": (2,), "add_export": (2,), "add_field": (3,), **{name: None for name in ERRORS}}
SKIP = ("scaffold_template", "migrations", "tests", "locale")


def packages() -> list[pathlib.Path]:
    """The packages that ship a catalog: the core and each plugin of this repository."""
    found = [ROOT / "makeplus_core"]
    found += sorted(p for p in (ROOT / "plugins").glob("*/makeplus_*") if (p / "__init__.py").exists())
    return found


def _sources(package: pathlib.Path):
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package)
        if any(part in SKIP for part in rel.parts) or not path.is_file():
            continue
        if path.suffix == ".py":
            yield path, "python"
        elif path.suffix == ".jinja2":
            yield path, "jinja2"


def extract(package: pathlib.Path):
    """A Babel ``Catalog`` of the strings marked in ``package``."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract as babel_extract
    from jinja2.ext import babel_extract as jinja_extract

    catalog = Catalog(domain=DOMAIN, project="MakePlus", charset="utf-8")
    for path, kind in _sources(package):
        method = jinja_extract if kind == "jinja2" else "python"
        options = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"} if kind == "jinja2" else {}
        with path.open("rb") as fp:
            for lineno, message, _comments, context in babel_extract(method, fp, KEYWORDS, options=options,
                                                                     strip_comment_tags=True):
                if message in ("", None) or (isinstance(message, tuple) and not message[0]):
                    continue
                catalog.add(message, None, [(str(path.relative_to(ROOT)), lineno)], context=context)
    return catalog


def po_path(package: pathlib.Path, locale: str) -> pathlib.Path:
    return package / "locale" / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(path: pathlib.Path):
    from babel.messages.pofile import read_po

    with path.open("rb") as fp:
        return read_po(fp, domain=DOMAIN)


def update(package: pathlib.Path) -> None:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    template = extract(package)
    if not len(template):
        return
    for locale in LOCALES:
        path = po_path(package, locale)
        if path.exists():
            catalog = read(path)
        else:
            catalog = Catalog(locale=locale, domain=DOMAIN, project="MakePlus", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.fuzzy = False  # the header
        if locale == "fr":  # gettext's classic French plural rule (CLDR's has a third form for millions)
            catalog._num_plurals, catalog._plural_expr = 2, "(n > 1)"
        if locale == "en":  # the msgids are English: the English catalog is the identity
            for msg in catalog:
                if msg.id and not (all(msg.string) if isinstance(msg.string, tuple) else msg.string):
                    msg.string = msg.id
        catalog.obsolete.clear()
        path.parent.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        write_po(buf, catalog, width=100, sort_output=False, omit_header=False, include_previous=False)
        path.write_bytes(buf.getvalue())


def problems(package: pathlib.Path) -> list[str]:
    """What makes ``package``'s catalogs incomplete: strings missing, empty or fuzzy."""
    out = []
    template = extract(package)
    for locale in LOCALES:
        path = po_path(package, locale)
        if not len(template):
            continue
        if not path.exists():
            out.append(f"{path}: missing")
            continue
        catalog = read(path)
        for msg in template:
            if not msg.id:  # the header
                continue
            have = catalog.get(msg.id, msg.context)
            where = ", ".join(f"{f}:{n}" for f, n in msg.locations[:2])
            if have is None:
                out.append(f"{path.relative_to(ROOT)}: not in the catalog: {msg.id!r} ({where})")
            elif have.fuzzy:
                out.append(f"{path.relative_to(ROOT)}: fuzzy: {msg.id!r}")
            elif not (all(have.string) if isinstance(have.string, tuple) else have.string):
                out.append(f"{path.relative_to(ROOT)}: untranslated: {msg.id!r} ({where})")
    return out


def compile_all() -> None:
    from .i18n import compile_catalogs

    for package in packages():
        if (package / "locale").is_dir():
            compile_catalogs(package / "locale")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else "check"
    if command == "update":
        for package in packages():
            update(package)
        return 0
    if command == "compile":
        compile_all()
        return 0
    if command == "check":
        found = [p for package in packages() for p in problems(package)]
        print("\n".join(found) or "catalogs complete")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
