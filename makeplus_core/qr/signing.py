"""Signed badge tokens: ``MP1.<kid>.<payload>.<signature>``.

``payload`` is the base64url (no padding) of the compact JSON ``{"u": user_id,
"b": badge_id}``; ``signature`` is the base64url HMAC-SHA256 of the ASCII text
``"MP1.<kid>.<payload>"`` under the key named ``kid``. Keys rotate: every key of
``makeplus.badges.signing_keys`` (``"kid1:secret1 kid2:secret2"``) verifies, the
one named by ``makeplus.badges.current_key`` signs. Without keys in the INI one key
``k0`` is derived from the JWT secret.

The token only proves the payload was issued by us; the badge id inside it must
still equal the user's current badge id (a re-issued badge revokes old tokens).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json

PREFIX = "MP1"


class BadToken(ValueError):
    """The text looks like a signed token but is not a valid one."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or len(text) > 400:
        raise BadToken("bad base64")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise BadToken("bad base64")


class Keyring:
    def __init__(self, keys: dict[str, bytes], current: str):
        if current not in keys:
            raise ValueError(f"makeplus.badges.current_key {current!r} is not among the signing keys")
        self.keys = keys
        self.current = current

    @classmethod
    def from_settings(cls, settings: dict) -> "Keyring":
        raw = (settings.get("makeplus.badges.signing_keys") or "").split()
        keys = {}
        for item in raw:
            kid, sep, secret = item.partition(":")
            if not sep or not kid or not secret or "." in kid:
                raise ValueError("makeplus.badges.signing_keys must read 'kid1:secret1 kid2:secret2'")
            keys[kid] = secret.encode()
        if not keys:
            base = (settings.get("makeplus.jwt_secret") or "").encode()
            keys["k0"] = hmac.new(base, b"makeplus-badge-signing-v1", hashlib.sha256).digest()
        current = settings.get("makeplus.badges.current_key") or next(iter(keys))
        return cls(keys, current)

    def sign(self, user_id: int, badge_id: str) -> str:
        payload = _b64(json.dumps({"u": user_id, "b": badge_id}, separators=(",", ":")).encode())
        head = f"{PREFIX}.{self.current}.{payload}"
        sig = hmac.new(self.keys[self.current], head.encode("ascii"), hashlib.sha256).digest()
        return f"{head}.{_b64(sig)}"

    def verify(self, token: str) -> tuple[int, str]:
        """``(user_id, badge_id)`` of a valid token; :class:`BadToken` otherwise."""
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != PREFIX:
            raise BadToken("not a signed badge")
        _, kid, payload, sig = parts
        key = self.keys.get(kid)
        if key is None:
            raise BadToken("unknown key")
        try:
            head = f"{PREFIX}.{kid}.{payload}".encode("ascii")
        except UnicodeEncodeError:
            raise BadToken("bad characters")
        expected = hmac.new(key, head, hashlib.sha256).digest()
        # Compare the canonical text too: base64 ignores the last character's unused bits.
        if not hmac.compare_digest(_b64(expected).encode(), sig.encode("utf-8", "replace")):
            raise BadToken("bad signature")
        try:
            data = json.loads(_unb64(payload))
            user_id, badge_id = data["u"], data["b"]
        except (ValueError, KeyError, TypeError):
            raise BadToken("bad payload")
        if not isinstance(user_id, int) or isinstance(user_id, bool) or not isinstance(badge_id, str):
            raise BadToken("bad payload")
        return user_id, badge_id


def keyring_for(registry) -> Keyring | None:
    return registry.get("badge_keyring") if registry is not None else None


def signed_qr_for(db, user) -> str | None:
    """The signed token of ``user``'s badge, using the keyring of the app that owns
    ``db`` (its request is in ``db.info``); ``None`` outside a request."""
    request = db.info.get("request") if hasattr(db, "info") else None
    ring = keyring_for(getattr(request, "registry", None))
    if ring is None or not user.badge_id:
        return None
    return ring.sign(user.id, user.badge_id)
