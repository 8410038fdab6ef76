"""Wallet passes of a billetterie ticket: Apple Wallet (``.pkpass``) and Google Wallet
("Save to Google Wallet" link). Pure functions: no database, no request, no network.

The barcode of both passes is the holder's **badge QR payload** (one QR per person
stays the rule: ``plugin_api.badges.qr_payload_string(user)``), so the door scanners
accept the pass like the app's badge.

Signatures (for the views and services of the plugin)::

    build_pkpass(pass_data: dict, *, pass_type_id: str, team_id: str, cert_pem: bytes,
                 key_pem: bytes, key_password: bytes | None, wwdr_pem: bytes,
                 images: dict[str, bytes]) -> bytes          # the .pkpass (a zip)
    google_save_link(ticket: dict, *, issuer_id: str, class_suffix: str,
                     service_account_email: str, private_key_pem: bytes,
                     origins: list[str] | tuple[str, ...] = ()) -> str
    apple_config_from_settings(settings) -> dict | None     # build_pkpass's keyword arguments
    google_config_from_settings(settings) -> dict | None    # google_save_link's keyword arguments
    WalletNotConfigured(Exception)                           # str(exc) is the message to show

Typical use: read ``cfg = apple_config_from_settings(settings)`` once at start-up (the
plugin's includeme, kept in the registry: it reads files; a ``WalletNotConfigured`` there
may stop start-up or be kept to answer with); ``None`` means the wallet is not configured
(the endpoint answers 501 with a message, never a 500);
``build_pkpass(data, **cfg)``; ``WalletNotConfigured`` raised by either (half a
configuration, unreadable file, key not matching the certificate, expired certificate)
is answered the same way with ``str(exc)`` (it names the setting).

``pass_data`` (Apple) and ``ticket`` (Google) are plain dicts:

=================  ========  ===============================================================
key                needed    what
=================  ========  ===============================================================
serial_number      Apple     the ticket's unique id (pass ``serialNumber``)
id                 Google    the ticket's unique id: the object id is ``<issuer_id>.<id>``
                             (characters other than ``A-Za-z0-9._-`` become ``_``)
barcode            both      the badge QR payload (a string, e.g. ``{"user_id": 7, ...}``)
description        Apple     accessibility text, e.g. ``"Billet Tech Summit 2025"``
organization_name  Apple     the organiser shown on the pass
event_name         no        the event (primary field)
attendee_name      no        Google: ``ticketHolderName``; Apple: a secondary field
ticket_type        no        the ticket type's name
ticket_number      no        the human ticket number (Google ``ticketNumber``)
relevant_date      no        ``datetime`` or ISO string (naive = UTC): ``relevantDate``
venue              no        shown on the pass (Apple auxiliary field)
locations          no        ``[{"latitude": .., "longitude": .., "relevantText": ..}]`` (Apple)
voided             no        ``True`` for a refunded/transferred-away ticket (Apple)
state              no        Google object state, ``ACTIVE`` (default), ``INACTIVE``,
                             ``EXPIRED`` or ``COMPLETED``
background_color   no        Apple colours, ``"rgb(r, g, b)"``; same for ``foreground_color``
                             and ``label_color``
=================  ========  ===============================================================

Settings (INI; ``env:NAME`` / ``env:NAME|default`` values are resolved by the core, so
every one may come from the environment). A certificate or key setting holds either a
**file path** or the **PEM text itself** (a value starting with ``-----BEGIN``; ``\\n``
written literally, as environment variables often carry it, becomes a newline).

Apple Wallet (all of the first five, or none):

- ``billetterie.apple.pass_type_id``   the Pass Type ID, e.g. ``pass.org.example.ticket``
- ``billetterie.apple.team_id``        the Apple developer team id (10 characters)
- ``billetterie.apple.cert``           the pass certificate (PEM)
- ``billetterie.apple.key``            its private key (PEM, RSA or EC)
- ``billetterie.apple.wwdr``           Apple's WWDR intermediate certificate (PEM)
- ``billetterie.apple.key_password``   the key's password (optional)
- ``billetterie.apple.images``         a folder with ``icon.png``, ``logo.png``... (optional;
  without ``icon.png`` a plain icon is drawn, Wallet refuses a pass without one)

Google Wallet (``issuer_id`` and a key, or none):

- ``billetterie.google.issuer_id``        the issuer id of the Google Pay & Wallet Console
- ``billetterie.google.service_account``  the service account's JSON key file (path or JSON
  text): gives ``client_email`` and ``private_key``; or both of
- ``billetterie.google.service_account_email`` and ``billetterie.google.private_key`` (PEM)
- ``billetterie.google.class_suffix``     the EventTicketClass, ``<issuer_id>.<suffix>``
  (default ``makeplus_ticket``); create it once in the console (the link carries only the
  object, which keeps it short); a caller may append an event's id for one class per event
- ``billetterie.google.origins``          the web origins allowed to show the button (space or
  comma separated, optional)

Dependencies of the plugin's distribution: ``cryptography>=42`` (PKCS#7 signature, key
loading) and ``PyJWT>=2`` (the Google JWT; RS256 needs ``cryptography``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import zipfile

__all__ = [
    "WalletNotConfigured",
    "apple_config_from_settings",
    "build_pkpass",
    "google_config_from_settings",
    "google_save_link",
]

GOOGLE_SAVE_URL = "https://pay.google.com/gp/v/save/"
GOOGLE_STATES = ("ACTIVE", "INACTIVE", "EXPIRED", "COMPLETED")
DEFAULT_CLASS_SUFFIX = "makeplus_ticket"

# Image files a pass may carry (Apple's names), each at @2x and @3x too.
_IMAGE_NAME = re.compile(r"^(icon|logo|strip|background|thumbnail|footer)(@[23]x)?\.png$")
_RGB = re.compile(r"^rgb\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\)$")
_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]")


class WalletNotConfigured(Exception):
    """A wallet cannot be used: not configured, half configured or configured wrongly.

    ``str(exc)`` is a message for the API answer (it names the setting, never a secret);
    ``setting`` is the settings key at fault, if one is."""

    def __init__(self, message: str, *, setting: str | None = None):
        super().__init__(message)
        self.setting = setting


# ---------------------------------------------------------------------------- Apple


def build_pkpass(
    pass_data: dict,
    *,
    pass_type_id: str,
    team_id: str,
    cert_pem: bytes,
    key_pem: bytes,
    key_password: bytes | None,
    wwdr_pem: bytes,
    images: dict[str, bytes],
) -> bytes:
    """A signed Apple Wallet pass (the bytes of a ``.pkpass`` zip).

    The zip holds ``pass.json`` (an ``eventTicket`` whose barcode is the badge QR),
    the images, ``manifest.json`` (the SHA-1 hex digest of every other file) and
    ``signature``: a detached PKCS#7 signature (DER) of the manifest made with the pass
    certificate and its key, the WWDR certificate included. Served as
    ``application/vnd.apple.pkpass``.

    Raises ``ValueError`` for bad ``pass_data`` or image names (the caller's bug) and
    :class:`WalletNotConfigured` for unusable certificates or keys.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import pkcs7

    cert = _load_cert(cert_pem, "billetterie.apple.cert")
    wwdr = _load_cert(wwdr_pem, "billetterie.apple.wwdr")
    key = _load_key(key_pem, key_password, "billetterie.apple.key")
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(serialization.Encoding.DER, pub) != cert.public_key().public_bytes(
        serialization.Encoding.DER, pub
    ):
        raise WalletNotConfigured(
            "billetterie.apple.key is not the private key of billetterie.apple.cert", setting="billetterie.apple.key"
        )
    now = dt.datetime.now(dt.UTC)
    if cert.not_valid_after_utc < now:
        raise WalletNotConfigured(
            f"the Apple pass certificate (billetterie.apple.cert) expired on {cert.not_valid_after_utc:%Y-%m-%d}",
            setting="billetterie.apple.cert",
        )
    uids = cert.subject.get_attributes_for_oid(x509.oid.NameOID.USER_ID)
    if uids and uids[0].value != pass_type_id:
        raise WalletNotConfigured(
            f"the Apple pass certificate is for {uids[0].value!r}, not billetterie.apple.pass_type_id "
            f"{pass_type_id!r}",
            setting="billetterie.apple.pass_type_id",
        )

    files: dict[str, bytes] = {"pass.json": pass_json(pass_data, pass_type_id=pass_type_id, team_id=team_id)}
    for name, content in (images or {}).items():
        if not _IMAGE_NAME.match(name):
            raise ValueError(f"images: {name!r} is not a pass image name (icon.png, logo@2x.png, ...)")
        if not isinstance(content, (bytes, bytearray)) or not bytes(content).startswith(b"\x89PNG"):
            raise ValueError(f"images: {name!r} is not a PNG file")
        files[name] = bytes(content)
    if "icon.png" not in files:  # Wallet refuses a pass without an icon
        files["icon.png"] = _plain_icon(29)
        files.setdefault("icon@2x.png", _plain_icon(58))
        files.setdefault("icon@3x.png", _plain_icon(87))

    manifest = json.dumps(
        {name: hashlib.sha1(content).hexdigest() for name, content in sorted(files.items())},
        indent=2,
        sort_keys=True,
    ).encode()
    signature = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(manifest)
        .add_signer(cert, key, hashes.SHA256())
        .add_certificate(wwdr)
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, content in sorted(files.items()):
            zf.writestr(name, content)
        zf.writestr("manifest.json", manifest)
        zf.writestr("signature", signature)
    return buf.getvalue()


def pass_json(pass_data: dict, *, pass_type_id: str, team_id: str) -> bytes:
    """The ``pass.json`` of :func:`build_pkpass` (an ``eventTicket``), as UTF-8 bytes."""
    if not isinstance(pass_data, dict):
        raise ValueError("pass_data: a dict is needed")
    for key in ("serial_number", "barcode", "description", "organization_name"):
        if not str(pass_data.get(key) or "").strip():
            raise ValueError(f"pass_data.{key} is required")
    for key, value in (("pass_type_id", pass_type_id), ("team_id", team_id)):
        if not str(value or "").strip():
            raise WalletNotConfigured(f"billetterie.apple.{key} is empty", setting=f"billetterie.apple.{key}")
    barcode = {
        "format": "PKBarcodeFormatQR",
        "message": str(pass_data["barcode"]),
        "messageEncoding": "iso-8859-1",
    }
    if pass_data.get("ticket_number"):
        barcode["altText"] = str(pass_data["ticket_number"])
    ticket: dict = {"primaryFields": [], "secondaryFields": [], "auxiliaryFields": [], "backFields": []}
    if pass_data.get("event_name"):
        ticket["primaryFields"].append({"key": "event", "label": "ÉVÉNEMENT", "value": str(pass_data["event_name"])})
    if pass_data.get("attendee_name"):
        ticket["secondaryFields"].append(
            {"key": "attendee", "label": "PARTICIPANT", "value": str(pass_data["attendee_name"])}
        )
    if pass_data.get("ticket_type"):
        ticket["secondaryFields"].append({"key": "type", "label": "BILLET", "value": str(pass_data["ticket_type"])})
    relevant = pass_data.get("relevant_date")
    relevant_iso = _w3c_date(relevant, "pass_data.relevant_date") if relevant else None
    if relevant_iso:
        ticket["auxiliaryFields"].append(
            {
                "key": "date",
                "label": "DATE",
                "value": relevant_iso,
                "dateStyle": "PKDateStyleMedium",
                "timeStyle": "PKDateStyleShort",
            }
        )
    if pass_data.get("venue"):
        ticket["auxiliaryFields"].append({"key": "venue", "label": "LIEU", "value": str(pass_data["venue"])})
    if pass_data.get("ticket_number"):
        ticket["backFields"].append(
            {"key": "number", "label": "N° de billet", "value": str(pass_data["ticket_number"])}
        )
    ticket["backFields"].append(
        {"key": "badge", "label": "Accès", "value": "Ce QR code est votre badge : présentez-le à chaque porte."}
    )
    doc: dict = {
        "formatVersion": 1,
        "passTypeIdentifier": str(pass_type_id),
        "teamIdentifier": str(team_id),
        "serialNumber": str(pass_data["serial_number"]),
        "description": str(pass_data["description"]),
        "organizationName": str(pass_data["organization_name"]),
        "barcode": barcode,  # iOS < 9
        "barcodes": [barcode],
        "eventTicket": {k: v for k, v in ticket.items() if v},
    }
    if relevant_iso:
        doc["relevantDate"] = relevant_iso
    locations = pass_data.get("locations")
    if locations:
        doc["locations"] = [_location(loc, i) for i, loc in enumerate(locations)]
    if pass_data.get("voided"):
        doc["voided"] = True
    for key, apple in (
        ("background_color", "backgroundColor"),
        ("foreground_color", "foregroundColor"),
        ("label_color", "labelColor"),
    ):
        if pass_data.get(key):
            if not _RGB.match(str(pass_data[key])):
                raise ValueError(f"pass_data.{key}: 'rgb(r, g, b)' expected")
            doc[apple] = str(pass_data[key])
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


def _location(loc, index: int) -> dict:
    try:
        out = {"latitude": float(loc["latitude"]), "longitude": float(loc["longitude"])}
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"pass_data.locations[{index}]: latitude and longitude (numbers) are required") from None
    if not (-90 <= out["latitude"] <= 90 and -180 <= out["longitude"] <= 180):
        raise ValueError(f"pass_data.locations[{index}]: latitude/longitude out of range")
    if loc.get("relevant_text") or loc.get("relevantText"):
        out["relevantText"] = str(loc.get("relevant_text") or loc.get("relevantText"))
    return out


def _w3c_date(value, field: str) -> str:
    """An ISO 8601 date-time with seconds and offset (naive values are UTC)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{field}: an ISO 8601 date-time is expected") from None
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if not isinstance(value, dt.datetime):
        raise ValueError(f"{field}: a date-time is expected")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat(timespec="seconds")


def _plain_icon(size: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (size, size), (30, 136, 229)).save(buf, format="PNG")
    return buf.getvalue()


def _load_cert(pem: bytes, setting: str):
    from cryptography import x509

    try:
        return x509.load_pem_x509_certificate(_as_bytes(pem))
    except (ValueError, TypeError):
        raise WalletNotConfigured(f"{setting}: not a PEM certificate", setting=setting) from None


def _load_key(pem: bytes, password: bytes | None, setting: str):
    from cryptography.hazmat.primitives import serialization

    if isinstance(password, str):
        password = password.encode()
    try:
        return serialization.load_pem_private_key(_as_bytes(pem), password=password or None)
    except TypeError:  # encrypted without a password, or a password for a clear key
        raise WalletNotConfigured(
            f"{setting}: the key's password ({setting}_password) is missing or not needed", setting=setting
        ) from None
    except ValueError:
        raise WalletNotConfigured(f"{setting}: not a PEM private key, or a wrong password", setting=setting) from None


def _as_bytes(value) -> bytes:
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise TypeError("bytes expected")


# --------------------------------------------------------------------------- Google


def google_save_link(
    ticket: dict,
    *,
    issuer_id: str,
    class_suffix: str,
    service_account_email: str,
    private_key_pem: bytes,
    origins=(),
) -> str:
    """``https://pay.google.com/gp/v/save/<jwt>``: the "Save to Google Wallet" link.

    The JWT (RS256, signed with the service account's key) has ``iss`` the service
    account, ``aud`` ``google``, ``typ`` ``savetowallet``, ``iat``, ``origins`` and
    ``payload.eventTicketObjects``: one object ``<issuer_id>.<ticket id>`` of the class
    ``<issuer_id>.<class_suffix>``, state ``ACTIVE`` (or ``ticket["state"]``), a
    ``QR_CODE`` barcode holding the badge payload, ``ticketHolderName`` and
    ``ticketNumber``. Raises ``ValueError`` for a bad ``ticket`` and
    :class:`WalletNotConfigured` for an unusable key or empty settings.
    """
    import jwt

    if not isinstance(ticket, dict):
        raise ValueError("ticket: a dict is needed")
    for key in ("id", "barcode"):
        if not str(ticket.get(key) or "").strip():
            raise ValueError(f"ticket.{key} is required")
    for key, value in (
        ("issuer_id", issuer_id),
        ("class_suffix", class_suffix),
        ("service_account_email", service_account_email),
    ):
        if not str(value or "").strip():
            raise WalletNotConfigured(f"billetterie.google.{key} is empty", setting=f"billetterie.google.{key}")
    state = str(ticket.get("state") or "ACTIVE").upper()
    if state not in GOOGLE_STATES:
        raise ValueError(f"ticket.state: one of {', '.join(GOOGLE_STATES)}")
    key = _load_key(private_key_pem, None, "billetterie.google.private_key")
    number = str(ticket.get("ticket_number") or ticket["id"])
    obj: dict = {
        "id": f"{issuer_id}.{_ID_CHARS.sub('_', str(ticket['id']))}",
        "classId": f"{issuer_id}.{_ID_CHARS.sub('_', str(class_suffix))}",
        "state": state,
        "barcode": {"type": "QR_CODE", "value": str(ticket["barcode"]), "alternateText": number},
        "ticketNumber": number,
    }
    if ticket.get("attendee_name"):
        obj["ticketHolderName"] = str(ticket["attendee_name"])
    if ticket.get("ticket_type"):
        obj["ticketType"] = {"defaultValue": {"language": "fr", "value": str(ticket["ticket_type"])}}
    claims = {
        "iss": str(service_account_email),
        "aud": "google",
        "typ": "savetowallet",
        "iat": int(dt.datetime.now(dt.UTC).timestamp()),
        "origins": [str(o) for o in (origins or ())],
        "payload": {"eventTicketObjects": [obj]},
    }
    token = jwt.encode(claims, key, algorithm="RS256")
    return GOOGLE_SAVE_URL + token


# ------------------------------------------------------------------------- settings

_APPLE_REQUIRED = ("pass_type_id", "team_id", "cert", "key", "wwdr")


def apple_config_from_settings(settings) -> dict | None:
    """:func:`build_pkpass`'s keyword arguments read from ``billetterie.apple.*``, or
    ``None`` when no such setting is set. Half a configuration, an unreadable file or
    an image folder that is not one raises :class:`WalletNotConfigured` naming the key."""
    prefix = "billetterie.apple."
    values = {k: str(settings.get(prefix + k) or "").strip() for k in (*_APPLE_REQUIRED, "key_password", "images")}
    if not any(values.values()):
        return None
    missing = [prefix + k for k in _APPLE_REQUIRED if not values[k]]
    if missing:
        raise WalletNotConfigured(
            f"Apple Wallet is half configured: {', '.join(missing)} missing", setting=missing[0]
        )
    images: dict[str, bytes] = {}
    if values["images"]:
        folder = values["images"]
        if not os.path.isdir(folder):
            raise WalletNotConfigured(f"{prefix}images: {folder} is not a folder", setting=prefix + "images")
        for name in sorted(os.listdir(folder)):
            if _IMAGE_NAME.match(name):
                with open(os.path.join(folder, name), "rb") as fh:
                    images[name] = fh.read()
    return {
        "pass_type_id": values["pass_type_id"],
        "team_id": values["team_id"],
        "cert_pem": _pem_setting(values["cert"], prefix + "cert"),
        "key_pem": _pem_setting(values["key"], prefix + "key"),
        "key_password": values["key_password"].encode() or None,
        "wwdr_pem": _pem_setting(values["wwdr"], prefix + "wwdr"),
        "images": images,
    }


def google_config_from_settings(settings) -> dict | None:
    """:func:`google_save_link`'s keyword arguments read from ``billetterie.google.*``,
    or ``None`` when no such setting is set. Half a configuration or an unreadable key
    raises :class:`WalletNotConfigured` naming the key."""
    prefix = "billetterie.google."
    keys = ("issuer_id", "service_account", "service_account_email", "private_key", "class_suffix", "origins")
    values = {k: str(settings.get(prefix + k) or "").strip() for k in keys}
    if not any(values.values()):
        return None
    if not values["issuer_id"]:
        raise WalletNotConfigured(f"Google Wallet is half configured: {prefix}issuer_id missing",
                                  setting=prefix + "issuer_id")
    email, key_pem = values["service_account_email"], None
    if values["private_key"]:
        key_pem = _pem_setting(values["private_key"], prefix + "private_key")
    elif values["service_account"]:
        raw = values["service_account"]
        setting = prefix + "service_account"
        if not raw.startswith("{"):
            raw = _read_file(raw, setting).decode("utf-8", "replace")
        try:
            account = json.loads(raw)
            key_pem = account["private_key"].encode()
            email = email or account["client_email"]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise WalletNotConfigured(
                f"{setting}: not a service account JSON key (private_key, client_email)", setting=setting
            ) from None
    else:
        raise WalletNotConfigured(
            f"Google Wallet is half configured: {prefix}service_account (or {prefix}private_key) missing",
            setting=prefix + "service_account",
        )
    if not email:
        raise WalletNotConfigured(
            f"Google Wallet is half configured: {prefix}service_account_email missing",
            setting=prefix + "service_account_email",
        )
    return {
        "issuer_id": values["issuer_id"],
        "class_suffix": values["class_suffix"] or DEFAULT_CLASS_SUFFIX,
        "service_account_email": email,
        "private_key_pem": key_pem,
        "origins": [o for o in re.split(r"[\s,]+", values["origins"]) if o],
    }


def _pem_setting(value: str, setting: str) -> bytes:
    """A PEM given inline (``-----BEGIN``, literal ``\\n`` allowed) or as a file path."""
    if value.startswith("-----BEGIN"):
        return value.replace("\\n", "\n").encode()
    content = _read_file(value, setting)
    if b"-----BEGIN" not in content:
        raise WalletNotConfigured(f"{setting}: {value} is not a PEM file", setting=setting)
    return content


def _read_file(path: str, setting: str) -> bytes:
    try:
        with open(os.path.expanduser(path), "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise WalletNotConfigured(f"{setting}: cannot read {path} ({exc.strerror})", setting=setting) from None
