"""Signed badge tokens, verifiable offline with a public key.

Two formats, both ``<prefix>.<kid>.<payload>.<signature>``, where ``payload`` is the
base64url (no padding) of the compact JSON ``{"u": user_id, "b": badge_id}`` and the
signature covers the ASCII text ``"<prefix>.<kid>.<payload>"``:

* ``MP2`` — **Ed25519** (the ``cryptography`` package). The scanner app can verify it
  offline with the public key the scanner manifest publishes (``GET
  /api/scanner/manifest/``); no secret ever leaves the server. Keys:
  ``makeplus.badges.ed25519_keys = "kid1:<seed> kid2:<seed>"`` where a seed is the
  base64url of 32 random bytes (env ``MAKEPLUS_BADGE_ED25519_KEYS`` in production.ini;
  generate one with the command in :data:`GENERATE_ED25519`). Every
  listed key verifies; ``makeplus.badges.current_key`` names the one that signs (rotation:
  add the new key, make it current, drop the old one once its badges are re-issued).
  Without a configured key, development and tests use the key stored in
  ``makeplus.badges.key_file`` (generated on first start, mode 0600) or, without that
  setting, one derived from the JWT secret (the same in every process); production refuses
  to start (:mod:`makeplus_core.secret_policy`).
* ``MP1`` — legacy **HMAC-SHA256** tokens. Every key of ``makeplus.badges.signing_keys``
  (``"kid1:secret1 kid2:secret2"``; without it one key ``k0`` derived from the JWT secret)
  still verifies online, so badges printed before the move keep working; they cannot be
  verified offline (the secret is never published). New tokens are MP1 only when
  ``current_key`` names an HMAC key.

The token only proves the payload was issued by us; the badge id inside it must
still equal the user's current badge id (a re-issued badge revokes old tokens).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import pathlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

PREFIX = "MP1"  # HMAC (legacy)
PREFIX_ED25519 = "MP2"
ED25519_SETTING = "makeplus.badges.ed25519_keys"
GENERATE_ED25519 = ("python -c \"import base64, secrets; print('e1:' + "
                    "base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b'=').decode())\"")


SIGNED_CACHE_SIZE = 50_000  # signed badges kept per process (a few MB at most)


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
        raise BadToken("bad base64") from None


def parse_ed25519_keys(raw: str) -> dict[str, Ed25519PrivateKey]:
    """``{kid: private key}`` from ``"kid:<base64url 32-byte seed> …"``."""
    keys = {}
    for item in (raw or "").split():
        kid, sep, seed = item.partition(":")
        if not sep or not kid or not seed or "." in kid:
            raise ValueError(f"{ED25519_SETTING} must read 'kid1:seed1 kid2:seed2' (seed: base64url of 32 bytes)")
        try:
            data = _unb64(seed)
        except BadToken:
            data = b""
        if len(data) != 32:
            raise ValueError(f"{ED25519_SETTING}: the seed of key {kid!r} is not the base64url of 32 bytes; "
                             f"generate one with: {GENERATE_ED25519}")
        keys[kid] = Ed25519PrivateKey.from_private_bytes(data)
    return keys


def new_ed25519_seed() -> str:
    return _b64(os.urandom(32))


def _key_file_keys(path: str) -> dict[str, Ed25519PrivateKey]:
    """The development key stored in ``path`` (``kid:seed``), created on first use."""
    file = pathlib.Path(path)
    if not file.exists():
        file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(f"dev1:{new_ed25519_seed()}\n")
    return parse_ed25519_keys(file.read_text())


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return _b64(pub.public_bytes(Encoding.Raw, PublicFormat.Raw))


class Keyring:
    def __init__(self, keys: dict[str, bytes], current: str, ed25519: dict[str, Ed25519PrivateKey] | None = None):
        self.keys = keys  # HMAC (verify MP1; sign only when current names one)
        self.ed25519 = dict(ed25519 or {})
        self.public = {kid: k.public_key() for kid, k in self.ed25519.items()}
        clash = set(self.keys) & set(self.ed25519)
        if clash:
            raise ValueError(f"badge key id(s) {sorted(clash)} used for both an HMAC and an Ed25519 key")
        if current not in keys and current not in self.ed25519:
            raise ValueError(f"makeplus.badges.current_key {current!r} is not among the signing keys")
        self.current = current
        self._signed: dict[tuple, str] = {}  # (kid, user id, badge id) -> token, see sign()

    @classmethod
    def from_settings(cls, settings: dict) -> Keyring:
        raw = (settings.get("makeplus.badges.signing_keys") or "").split()
        keys = {}
        for item in raw:
            kid, sep, secret = item.partition(":")
            if not sep or not kid or not secret or "." in kid:
                raise ValueError("makeplus.badges.signing_keys must read 'kid1:secret1 kid2:secret2'")
            keys[kid] = secret.encode()
        base = (settings.get("makeplus.jwt_secret") or "").encode()
        if not keys:
            keys["k0"] = hmac.new(base, b"makeplus-badge-signing-v1", hashlib.sha256).digest()
        ed = parse_ed25519_keys(settings.get(ED25519_SETTING) or "")
        if not ed:
            if str(settings.get("makeplus.env", "development")) == "production":
                raise RuntimeError(f"makeplus.env = production: {ED25519_SETTING} (MAKEPLUS_BADGE_ED25519_KEYS) "
                                   f"is not set; generate a key with: {GENERATE_ED25519}")
            if settings.get("makeplus.badges.key_file"):
                ed = _key_file_keys(settings["makeplus.badges.key_file"])
            else:  # tests: derived from the JWT secret, identical in every process
                seed = hmac.new(base, b"makeplus-badge-ed25519-v1", hashlib.sha256).digest()
                ed = {"e0": Ed25519PrivateKey.from_private_bytes(seed)}
        current = settings.get("makeplus.badges.current_key") or next(iter(ed))
        return cls(keys, current, ed)

    def public_keys(self) -> list[dict]:
        """What an offline scanner needs to verify MP2 tokens (never a secret)."""
        return [{"kid": kid, "alg": "Ed25519", "public_key": public_key_text(pub), "current": kid == self.current}
                for kid, pub in self.public.items()]

    def sign(self, user_id: int, badge_id: str) -> str:
        """The token of ``(user_id, badge_id)`` under the current key. Both formats are
        deterministic (Ed25519 signatures are, RFC 8032), so a token is kept per process
        for its inputs and key (a re-issued badge or a new current key is another entry)."""
        key = (self.current, user_id, badge_id)
        token = self._signed.get(key)
        if token is None:
            if len(self._signed) >= SIGNED_CACHE_SIZE:
                self._signed.clear()
            token = self._signed[key] = self._sign(user_id, badge_id)
        return token

    def _sign(self, user_id: int, badge_id: str) -> str:
        payload = _b64(json.dumps({"u": user_id, "b": badge_id}, separators=(",", ":")).encode())
        if self.current in self.ed25519:
            head = f"{PREFIX_ED25519}.{self.current}.{payload}"
            return f"{head}.{_b64(self.ed25519[self.current].sign(head.encode('ascii')))}"
        head = f"{PREFIX}.{self.current}.{payload}"
        sig = hmac.new(self.keys[self.current], head.encode("ascii"), hashlib.sha256).digest()
        return f"{head}.{_b64(sig)}"

    def verify(self, token: str) -> tuple[int, str]:
        """``(user_id, badge_id)`` of a valid token (MP2 or legacy MP1); :class:`BadToken` otherwise."""
        parts = token.split(".")
        if len(parts) != 4 or parts[0] not in (PREFIX, PREFIX_ED25519):
            raise BadToken("not a signed badge")
        prefix, kid, payload, sig = parts
        try:
            head = f"{prefix}.{kid}.{payload}".encode("ascii")
        except UnicodeEncodeError:
            raise BadToken("bad characters") from None
        if prefix == PREFIX_ED25519:
            pub = self.public.get(kid)
            if pub is None:
                raise BadToken("unknown key")
            raw = _unb64(sig)
            # canonical text only (base64 ignores the last character's unused bits)
            if len(raw) != 64 or _b64(raw) != sig:
                raise BadToken("bad signature")
            try:
                pub.verify(raw, head)
            except InvalidSignature:
                raise BadToken("bad signature") from None
        else:
            key = self.keys.get(kid)
            if key is None:
                raise BadToken("unknown key")
            expected = hmac.new(key, head, hashlib.sha256).digest()
            if not hmac.compare_digest(_b64(expected).encode(), sig.encode("utf-8", "replace")):
                raise BadToken("bad signature")
        try:
            data = json.loads(_unb64(payload))
            user_id, badge_id = data["u"], data["b"]
        except (ValueError, KeyError, TypeError):
            raise BadToken("bad payload") from None
        if not isinstance(user_id, int) or isinstance(user_id, bool) or not isinstance(badge_id, str):
            raise BadToken("bad payload")
        return user_id, badge_id


def keyring_for(registry) -> Keyring | None:
    return registry.makeplus.badge_keyring if registry is not None else None


def signed_qr_for(db, user) -> str | None:
    """The signed token of ``user``'s badge, using the keyring of the app that owns
    ``db`` (its request is in ``db.info``); ``None`` outside a request."""
    request = db.info.get("request") if hasattr(db, "info") else None
    ring = keyring_for(getattr(request, "registry", None))
    if ring is None or not user.badge_id:
        return None
    return ring.sign(user.id, user.badge_id)
