"""Wallet passes (makeplus_billetterie.wallet): no database, no network.

A throwaway root CA, a "WWDR" intermediate and a pass certificate are made with
``cryptography`` here; the pass is unzipped, its manifest digests recomputed and its
PKCS#7 signature verified with the openssl command line; the Google JWT is verified
with the service account's public key.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import io
import json
import pathlib
import shutil
import subprocess
import sys
import time
import zipfile

import pytest

pytest.importorskip("cryptography", reason="cryptography (a billetterie dependency) not installed")
jwt = pytest.importorskip("jwt", reason="PyJWT (a billetterie dependency) not installed")

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402
from cryptography.hazmat.primitives.serialization import pkcs7  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

if importlib.util.find_spec("makeplus_billetterie") is None:  # the plugin not installed: import by path
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from makeplus_billetterie import wallet  # noqa: E402
from makeplus_billetterie.wallet import WalletNotConfigured  # noqa: E402

PASS_TYPE = "pass.org.makeplus.test"
TEAM = "ABCDE12345"
BADGE = json.dumps({"user_id": 42, "badge_id": "MP-0042-XYZ"})
NOW = dt.datetime.now(dt.UTC)


def _name(cn, **extra):
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if "uid" in extra:
        attrs.append(x509.NameAttribute(NameOID.USER_ID, extra["uid"]))
    if "ou" in extra:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, extra["ou"]))
    return x509.Name(attrs)


def _cert(subject, key, issuer, issuer_key, *, ca, not_after=None, not_before=None):
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - dt.timedelta(days=1))
        .not_valid_after(not_after or NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key, password=None):
    enc = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


@pytest.fixture(scope="module")
def pki():
    """Root CA -> WWDR intermediate -> pass certificate (UID = pass type id, OU = team)."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _cert(_name("Test Root CA"), root_key, _name("Test Root CA"), root_key, ca=True)
    wwdr_key = ec.generate_private_key(ec.SECP256R1())
    wwdr = _cert(_name("Test WWDR"), wwdr_key, root.subject, root_key, ca=True)
    pass_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _cert(_name(f"Pass Type ID: {PASS_TYPE}", uid=PASS_TYPE, ou=TEAM), pass_key, wwdr.subject, wwdr_key,
                 ca=False)
    return {"root": root, "root_key": root_key, "wwdr": wwdr, "wwdr_key": wwdr_key, "cert": cert,
            "key": pass_key}


@pytest.fixture(scope="module")
def apple(pki):
    return {"pass_type_id": PASS_TYPE, "team_id": TEAM, "cert_pem": _pem(pki["cert"]),
            "key_pem": _key_pem(pki["key"]), "key_password": None, "wwdr_pem": _pem(pki["wwdr"]), "images": {}}


def _png(size=29, colour=(200, 10, 10)):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buf, format="PNG")
    return buf.getvalue()


PASS_DATA = {
    "serial_number": "tkt-7c1f3a",
    "barcode": BADGE,
    "description": "Billet Tech Summit Algeria 2025",
    "organization_name": "MakePlus Events",
    "event_name": "Tech Summit Algeria 2025",
    "attendee_name": "Amina Benali",
    "ticket_type": "Pass 3 jours",
    "ticket_number": "TSA-000123",
    "relevant_date": dt.datetime(2025, 5, 10, 9, 0),  # naive: UTC
    "venue": "CIC Alger",
    "locations": [{"latitude": 36.7372, "longitude": 3.0865, "relevant_text": "Bienvenue"}],
}


def _unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _openssl_verify(tmp_path, signature: bytes, content: bytes, *extra) -> subprocess.CompletedProcess:
    (tmp_path / "signature").write_bytes(signature)
    (tmp_path / "manifest.json").write_bytes(content)
    return subprocess.run(
        ["openssl", "smime", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "signature"),
         "-content", str(tmp_path / "manifest.json"), "-out", str(tmp_path / "out"), *extra],
        capture_output=True, text=True, timeout=60,
    )


def test_the_pkpass_holds_the_pass_its_manifest_and_a_detached_signature(apple, pki, tmp_path):
    icon, logo = _png(29), _png(160, (0, 0, 0))
    data = wallet.build_pkpass(PASS_DATA, **{**apple, "images": {"icon.png": icon, "logo@2x.png": logo}})
    files = _unzip(data)
    assert set(files) == {"pass.json", "icon.png", "logo@2x.png", "manifest.json", "signature"}
    assert files["icon.png"] == icon and files["logo@2x.png"] == logo

    # manifest: the SHA-1 of every file but itself and the signature, nothing else
    manifest = json.loads(files["manifest.json"])
    assert set(manifest) == set(files) - {"manifest.json", "signature"}
    for name, digest in manifest.items():
        assert digest == hashlib.sha1(files[name]).hexdigest(), name

    doc = json.loads(files["pass.json"])
    assert doc["formatVersion"] == 1
    assert doc["passTypeIdentifier"] == PASS_TYPE and doc["teamIdentifier"] == TEAM
    assert doc["serialNumber"] == "tkt-7c1f3a"
    assert doc["description"] == "Billet Tech Summit Algeria 2025"
    assert doc["organizationName"] == "MakePlus Events"
    assert doc["relevantDate"] == "2025-05-10T09:00:00+00:00"
    assert doc["locations"] == [{"latitude": 36.7372, "longitude": 3.0865, "relevantText": "Bienvenue"}]
    assert "voided" not in doc
    for barcode in (doc["barcode"], *doc["barcodes"]):
        assert barcode["format"] == "PKBarcodeFormatQR"
        assert barcode["message"] == BADGE and json.loads(barcode["message"])["user_id"] == 42
    fields = {f["key"]: f["value"] for group in doc["eventTicket"].values() for f in group}
    assert fields["event"] == "Tech Summit Algeria 2025"
    assert fields["attendee"] == "Amina Benali"
    assert fields["type"] == "Pass 3 jours"
    assert fields["number"] == "TSA-000123"

    # the signature carries the pass certificate and the WWDR certificate
    certs = pkcs7.load_der_pkcs7_certificates(files["signature"])
    assert {c.fingerprint(hashes.SHA256()) for c in certs} == {
        pki["cert"].fingerprint(hashes.SHA256()), pki["wwdr"].fingerprint(hashes.SHA256())}

    if shutil.which("openssl") is None:
        pytest.skip("openssl command line not installed: signature not verified")
    ok = _openssl_verify(tmp_path, files["signature"], files["manifest.json"], "-noverify")
    assert ok.returncode == 0, ok.stderr
    # and the chain: pass certificate -> WWDR (in the signature) -> our root
    (tmp_path / "root.pem").write_bytes(_pem(pki["root"]))
    chain = _openssl_verify(tmp_path, files["signature"], files["manifest.json"],
                            "-CAfile", str(tmp_path / "root.pem"), "-purpose", "any")
    assert chain.returncode == 0, chain.stderr
    # a manifest changed after signing does not verify
    tampered = files["manifest.json"].replace(manifest["pass.json"].encode(), b"0" * 40)
    bad = _openssl_verify(tmp_path, files["signature"], tampered, "-noverify")
    assert bad.returncode != 0


def test_without_an_icon_a_plain_one_is_drawn_and_voided_passes_say_so(apple):
    files = _unzip(wallet.build_pkpass({**PASS_DATA, "voided": True, "locations": None}, **apple))
    assert {"icon.png", "icon@2x.png", "icon@3x.png"} <= set(files)
    from PIL import Image

    assert Image.open(io.BytesIO(files["icon@2x.png"])).size == (58, 58)
    doc = json.loads(files["pass.json"])
    assert doc["voided"] is True and "locations" not in doc
    assert set(json.loads(files["manifest.json"])) == set(files) - {"manifest.json", "signature"}


def test_an_encrypted_key_with_its_password(apple, pki):
    files = _unzip(wallet.build_pkpass(PASS_DATA, **{**apple, "key_pem": _key_pem(pki["key"], b"s3cret"),
                                                     "key_password": b"s3cret"}))
    assert "signature" in files
    with pytest.raises(WalletNotConfigured) as exc:
        wallet.build_pkpass(PASS_DATA, **{**apple, "key_pem": _key_pem(pki["key"], b"s3cret"),
                                          "key_password": b"wrong"})
    assert exc.value.setting == "billetterie.apple.key"
    with pytest.raises(WalletNotConfigured, match="password"):
        wallet.build_pkpass(PASS_DATA, **{**apple, "key_pem": _key_pem(pki["key"], b"s3cret")})


def test_unusable_certificates_and_keys_are_not_configured_errors(apple, pki):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(WalletNotConfigured, match="not the private key") as exc:
        wallet.build_pkpass(PASS_DATA, **{**apple, "key_pem": _key_pem(other)})
    assert exc.value.setting == "billetterie.apple.key"
    expired = _cert(pki["cert"].subject, pki["key"], pki["wwdr"].subject, pki["wwdr_key"], ca=False,
                    not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=1))
    with pytest.raises(WalletNotConfigured, match="expired"):
        wallet.build_pkpass(PASS_DATA, **{**apple, "cert_pem": _pem(expired)})
    with pytest.raises(WalletNotConfigured, match="pass_type_id"):
        wallet.build_pkpass(PASS_DATA, **{**apple, "pass_type_id": "pass.org.other"})
    with pytest.raises(WalletNotConfigured) as exc:
        wallet.build_pkpass(PASS_DATA, **{**apple, "wwdr_pem": b"not a certificate"})
    assert exc.value.setting == "billetterie.apple.wwdr"


def test_bad_pass_data_and_images_are_value_errors(apple):
    for key in ("serial_number", "barcode", "description", "organization_name"):
        with pytest.raises(ValueError, match=f"pass_data.{key}"):
            wallet.build_pkpass({**PASS_DATA, key: ""}, **apple)
    with pytest.raises(ValueError, match="relevant_date"):
        wallet.build_pkpass({**PASS_DATA, "relevant_date": "next tuesday"}, **apple)
    with pytest.raises(ValueError, match=r"locations\[0\]"):
        wallet.build_pkpass({**PASS_DATA, "locations": [{"latitude": 95, "longitude": 3}]}, **apple)
    with pytest.raises(ValueError, match="background_color"):
        wallet.build_pkpass({**PASS_DATA, "background_color": "red"}, **apple)
    with pytest.raises(ValueError, match="pass image name"):
        wallet.build_pkpass(PASS_DATA, **{**apple, "images": {"../evil.png": _png()}})
    with pytest.raises(ValueError, match="not a PNG"):
        wallet.build_pkpass(PASS_DATA, **{**apple, "images": {"icon.png": b"GIF89a"}})


# ---------------------------------------------------------------------------- Google


@pytest.fixture(scope="module")
def google_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


TICKET = {
    "id": "7c1f3a2e-0000-4000-8000-000000000001",
    "barcode": BADGE,
    "attendee_name": "Amina Benali",
    "ticket_number": "TSA-000123",
    "ticket_type": "Pass 3 jours",
}


def _google(key, **extra):
    return {"issuer_id": "3388000000012345678", "class_suffix": "tsa2025",
            "service_account_email": "wallet@makeplus-test.iam.gserviceaccount.com",
            "private_key_pem": _key_pem(key), "origins": ["https://makeplus.example.org"], **extra}


def test_the_google_link_is_a_jwt_signed_by_the_service_account(google_key):
    before = int(time.time())
    link = wallet.google_save_link(TICKET, **_google(google_key))
    after = int(time.time())
    prefix = "https://pay.google.com/gp/v/save/"
    assert link.startswith(prefix)
    token = link[len(prefix):]
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    claims = jwt.decode(token, google_key.public_key(), algorithms=["RS256"], audience="google",
                        issuer="wallet@makeplus-test.iam.gserviceaccount.com")
    assert claims["typ"] == "savetowallet"
    assert claims["origins"] == ["https://makeplus.example.org"]
    assert before <= claims["iat"] <= after
    [obj] = claims["payload"]["eventTicketObjects"]
    assert obj["id"] == "3388000000012345678.7c1f3a2e-0000-4000-8000-000000000001"
    assert obj["classId"] == "3388000000012345678.tsa2025"
    assert obj["state"] == "ACTIVE"
    assert obj["barcode"]["type"] == "QR_CODE" and obj["barcode"]["value"] == BADGE
    assert obj["ticketHolderName"] == "Amina Benali"
    assert obj["ticketNumber"] == "TSA-000123"
    assert obj["ticketType"]["defaultValue"]["value"] == "Pass 3 jours"
    assert list(claims["payload"]) == ["eventTicketObjects"]

    # another key does not verify it; a changed payload does not verify either
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, stranger.public_key(), algorithms=["RS256"], audience="google")
    head, body, sig = token.split(".")
    forged = jwt.utils.base64url_encode(json.dumps({**claims, "iss": "evil@x"}).encode()).decode()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{head}.{forged}.{sig}", google_key.public_key(), algorithms=["RS256"], audience="google")


def test_google_object_ids_are_sanitised_and_bad_tickets_refused(google_key):
    link = wallet.google_save_link({**TICKET, "id": "a b/c", "state": "inactive"}, **_google(google_key))
    claims = jwt.decode(link.rsplit("/", 1)[1], google_key.public_key(), algorithms=["RS256"], audience="google")
    obj = claims["payload"]["eventTicketObjects"][0]
    assert obj["id"] == "3388000000012345678.a_b_c" and obj["state"] == "INACTIVE"
    for key in ("id", "barcode"):
        with pytest.raises(ValueError, match=f"ticket.{key}"):
            wallet.google_save_link({**TICKET, key: None}, **_google(google_key))
    with pytest.raises(ValueError, match="ticket.state"):
        wallet.google_save_link({**TICKET, "state": "SOLD"}, **_google(google_key))
    with pytest.raises(WalletNotConfigured, match="private_key"):
        wallet.google_save_link(TICKET, **_google(google_key, private_key_pem=b"-----BEGIN nonsense"))
    with pytest.raises(WalletNotConfigured, match="issuer_id"):
        wallet.google_save_link(TICKET, **_google(google_key, issuer_id=""))


# -------------------------------------------------------------------------- settings


def test_no_wallet_settings_means_not_configured():
    assert wallet.apple_config_from_settings({}) is None
    assert wallet.google_config_from_settings({"makeplus.plugins": "billetterie"}) is None
    assert wallet.apple_config_from_settings({"billetterie.apple.team_id": ""}) is None


def test_apple_settings_from_files_and_inline_pem(apple, pki, tmp_path):
    (tmp_path / "cert.pem").write_bytes(apple["cert_pem"])
    (tmp_path / "key.pem").write_bytes(_key_pem(pki["key"], b"pw"))
    images = tmp_path / "images"
    images.mkdir()
    (images / "icon.png").write_bytes(_png())
    (images / "notes.txt").write_text("not an image")
    inline_wwdr = apple["wwdr_pem"].decode().replace("\n", "\\n")  # as an environment variable carries it
    settings = {
        "billetterie.apple.pass_type_id": PASS_TYPE,
        "billetterie.apple.team_id": TEAM,
        "billetterie.apple.cert": str(tmp_path / "cert.pem"),
        "billetterie.apple.key": str(tmp_path / "key.pem"),
        "billetterie.apple.key_password": "pw",
        "billetterie.apple.wwdr": inline_wwdr,
        "billetterie.apple.images": str(images),
    }
    cfg = wallet.apple_config_from_settings(settings)
    assert cfg["wwdr_pem"] == apple["wwdr_pem"] and cfg["key_password"] == b"pw"
    assert list(cfg["images"]) == ["icon.png"]
    files = _unzip(wallet.build_pkpass(PASS_DATA, **cfg))
    assert "signature" in files and "icon@2x.png" not in files  # the configured icon, not the plain one

    with pytest.raises(WalletNotConfigured, match="billetterie.apple.wwdr missing") as exc:
        wallet.apple_config_from_settings({**settings, "billetterie.apple.wwdr": ""})
    assert exc.value.setting == "billetterie.apple.wwdr"
    with pytest.raises(WalletNotConfigured, match="cannot read") as exc:
        wallet.apple_config_from_settings({**settings, "billetterie.apple.cert": str(tmp_path / "nope.pem")})
    assert exc.value.setting == "billetterie.apple.cert"
    (tmp_path / "empty.pem").write_text("hello")
    with pytest.raises(WalletNotConfigured, match="not a PEM"):
        wallet.apple_config_from_settings({**settings, "billetterie.apple.key": str(tmp_path / "empty.pem")})
    with pytest.raises(WalletNotConfigured, match="not a folder"):
        wallet.apple_config_from_settings({**settings, "billetterie.apple.images": str(tmp_path / "cert.pem")})


def test_google_settings_from_a_service_account_file_or_key(google_key, tmp_path):
    account = {"type": "service_account", "client_email": "sa@proj.iam.gserviceaccount.com",
               "private_key": _key_pem(google_key).decode(), "private_key_id": "abc"}
    (tmp_path / "sa.json").write_text(json.dumps(account))
    cfg = wallet.google_config_from_settings({
        "billetterie.google.issuer_id": "3388000000012345678",
        "billetterie.google.service_account": str(tmp_path / "sa.json"),
        "billetterie.google.origins": "https://a.example.org, https://b.example.org",
    })
    assert cfg == {"issuer_id": "3388000000012345678", "class_suffix": "makeplus_ticket",
                   "service_account_email": "sa@proj.iam.gserviceaccount.com",
                   "private_key_pem": _key_pem(google_key),
                   "origins": ["https://a.example.org", "https://b.example.org"]}
    claims = jwt.decode(wallet.google_save_link(TICKET, **cfg).rsplit("/", 1)[1], google_key.public_key(),
                        algorithms=["RS256"], audience="google")
    assert claims["iss"] == "sa@proj.iam.gserviceaccount.com"

    inline = wallet.google_config_from_settings({
        "billetterie.google.issuer_id": "1",
        "billetterie.google.service_account_email": "x@y.iam.gserviceaccount.com",
        "billetterie.google.private_key": _key_pem(google_key).decode().replace("\n", "\\n"),
        "billetterie.google.class_suffix": "evt",
    })
    assert inline["private_key_pem"] == _key_pem(google_key) and inline["class_suffix"] == "evt"
    assert inline["origins"] == []

    with pytest.raises(WalletNotConfigured, match="issuer_id"):
        wallet.google_config_from_settings({"billetterie.google.service_account": str(tmp_path / "sa.json")})
    with pytest.raises(WalletNotConfigured, match="service_account"):
        wallet.google_config_from_settings({"billetterie.google.issuer_id": "1"})
    with pytest.raises(WalletNotConfigured, match="service_account_email"):
        wallet.google_config_from_settings({"billetterie.google.issuer_id": "1",
                                            "billetterie.google.private_key": _key_pem(google_key).decode()})
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(WalletNotConfigured, match="not a service account"):
        wallet.google_config_from_settings({"billetterie.google.issuer_id": "1",
                                            "billetterie.google.service_account": str(tmp_path / "bad.json")})
