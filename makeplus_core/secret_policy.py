"""What a production secret must be (``makeplus.env = production``).

The JWT secret (``makeplus.jwt_secret`` / ``MAKEPLUS_JWT_SECRET``), every badge-signing
key (``makeplus.badges.ed25519_keys``, which production requires, and the legacy HMAC
``makeplus.badges.signing_keys``) and the page-session secret
(``makeplus.session_secret``, when set) are refused when they

* appear in the INI files we ship (``development.ini``, ``production.ini``, including the
  default of an ``env:NAME|default`` value) or are a well-known placeholder;
* are shorter than :data:`MIN_BYTES` bytes;
* are of low entropy: placeholder words (``change-me``, ``secret``, ``password`` …), few
  distinct characters, runs (``abcdef…``), a repeated unit (``abcabc…``) or text that compresses well.

``check_production_secrets(settings)`` raises ``RuntimeError`` naming the setting and
saying how to generate a good value (:data:`GENERATE`). See docs/security.md.
"""
from __future__ import annotations

import configparser
import math
import pathlib
import zlib
from collections import Counter

MIN_BYTES = 32
GENERATE = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'

# Values shipped in this repository's INI files and the usual placeholders. The INI files
# themselves are also read when present (a source checkout); tests/test_secrets.py keeps
# this list in step with them for installs that ship no INI file.
KNOWN_SECRETS = frozenset({
    "", "change-me", "changeme", "dev-secret-change-me", "secret",
    "dev-only-secret-not-for-production-use-0123456789",
})
WEAK_WORDS = ("changeme", "change-me", "change_me", "secret", "password", "example", "default",
              "makeplus", "notforproduction", "not-for-production", "placeholder", "insecure")
SECRET_KEYS = ("makeplus.jwt_secret", "makeplus.session_secret")
SHIPPED_INI = ("development.ini", "production.ini")
# "kid:secret kid2:secret2" lists: HMAC badge keys (legacy) and Ed25519 badge key seeds
KEY_LISTS = ("makeplus.badges.signing_keys", "makeplus.badges.ed25519_keys")


def shipped_ini_secrets(root: pathlib.Path | None = None) -> set[str]:
    """Secret values written in the shipped INI files (literal or ``env:NAME|default``)."""
    root = root or pathlib.Path(__file__).resolve().parent.parent
    found: set[str] = set()
    for name in SHIPPED_INI:
        path = root / name
        if not path.is_file():
            continue
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(path, encoding="utf-8")
        for section in parser.sections():
            for key, value in parser.items(section):
                if key in SECRET_KEYS or key in KEY_LISTS:
                    found.update(_secret_values(key, _ini_literal(value)))
    return found


def _ini_literal(value: str) -> str:
    if value.startswith("env:"):
        return value[4:].partition("|")[2]
    return value


def _secret_values(key: str, value: str) -> list[str]:
    if key in KEY_LISTS:
        return [item.partition(":")[2] for item in value.split()]
    return [value]


def weakness(secret: str, shipped: set[str]) -> str | None:
    """Why ``secret`` is not good enough for production, or ``None``."""
    if secret in KNOWN_SECRETS or secret in shipped:
        return "is a default value (it appears in the shipped INI files or is a placeholder)"
    size = len(secret.encode())
    if size < MIN_BYTES:
        return f"is too short ({size} bytes; at least {MIN_BYTES} are needed)"
    folded = secret.lower()
    for word in WEAK_WORDS:
        if word in folded:
            return f"looks like a placeholder (it contains {word!r})"
    if len(set(secret)) < 10:
        return "has low entropy (fewer than 10 distinct characters)"
    for unit in range(1, len(secret) // 2 + 1):
        if len(secret) % unit == 0 and secret[:unit] * (len(secret) // unit) == secret:
            return "has low entropy (a repeated sequence)"
    steps = sum(1 for a, b in zip(secret, secret[1:], strict=False) if abs(ord(b) - ord(a)) <= 1)
    if steps * 2 > len(secret):
        return "has low entropy (runs of consecutive characters, e.g. abcdef…)"
    counts = Counter(secret)
    bits_per_char = -sum(c / len(secret) * math.log2(c / len(secret)) for c in counts.values())
    if bits_per_char * len(secret) < 96:
        return "has low entropy (under 96 bits by its character distribution)"
    packed = len(zlib.compress(secret.encode(), 9))
    if packed < 0.7 * size:
        return "has low entropy (it is repetitive: it compresses well)"
    return None


def production_secrets(settings: dict) -> list[tuple[str, str]]:
    """``(setting name, value)`` of every secret production relies on."""
    items = [("makeplus.jwt_secret (MAKEPLUS_JWT_SECRET)", settings.get("makeplus.jwt_secret") or "")]
    if settings.get("makeplus.session_secret"):
        items.append(("makeplus.session_secret", settings["makeplus.session_secret"]))
    for setting in KEY_LISTS:
        for item in (settings.get(setting) or "").split():
            kid, _, secret = item.partition(":")
            items.append((f"{setting} (key {kid!r})", secret))
    return items


def check_production_secrets(settings: dict, root: pathlib.Path | None = None) -> None:
    shipped = shipped_ini_secrets(root)
    for name, value in production_secrets(settings):
        problem = weakness(value, shipped)
        if problem is not None:
            raise RuntimeError(
                f"makeplus.env = production: {name} {problem}. Set it from the environment to a random "
                f"value of at least {MIN_BYTES} bytes, generated with: {GENERATE}")
    if not (settings.get("makeplus.badges.ed25519_keys") or "").split():
        from .qr.signing import GENERATE_ED25519

        raise RuntimeError(
            "makeplus.env = production: makeplus.badges.ed25519_keys (MAKEPLUS_BADGE_ED25519_KEYS) is not set: "
            "badges are signed with Ed25519 and production never derives or generates that key. Set it from "
            f"the environment ('kid:seed'), generated with: {GENERATE_ED25519}")
