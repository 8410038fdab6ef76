"""Uploaded files (PDF programmes, guides, booth plans…) under a storage root.

``makeplus.storage_root`` (default ``var/media``) holds the files, served at
``/media/``; ``makeplus.max_upload_bytes`` caps a file (default 10 MB, 413 above).
Files are checked by content (a PDF starts with ``%PDF-``), never by name, and
stored under generated names.
"""
from __future__ import annotations

import os
import pathlib
import secrets

from pyramid.security import NO_PERMISSION_REQUIRED

from . import errors

DEFAULT_MAX = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"


def storage_root(registry) -> pathlib.Path:
    return pathlib.Path(registry.settings.get("makeplus.storage_root") or os.path.join("var", "media"))


def max_upload(registry) -> int:
    return int(registry.settings.get("makeplus.max_upload_bytes", DEFAULT_MAX))


def file_url(request, path: str | None) -> str | None:
    """The absolute URL of a stored file (``None`` when there is none); a full URL is kept as it is."""
    if not path:
        return None
    if path.startswith(("http://", "https://")):
        return path
    base = request.application_url if request is not None else ""
    return f"{base}/media/{path.lstrip('/')}"


def read_upload(request, field: str, required: bool = True) -> bytes | None:
    """The bytes of the multipart file ``field`` (size-checked), or None when absent."""
    upload = request.POST.get(field) if request.content_type.startswith("multipart/") else None
    if upload is None or not hasattr(upload, "file"):
        if required:
            raise errors.Invalid(f"{field}: a file is required (multipart/form-data)", field=field)
        return None
    limit = max_upload(request.registry)
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise errors.TooLarge(f"{field}: the file is larger than {limit // (1024 * 1024)} MB", field=field)
    if not data:
        raise errors.Invalid(f"{field}: the file is empty", field=field)
    return data


def check_pdf(data: bytes, field: str) -> None:
    head = data[:1024].lstrip(b"\xef\xbb\xbf\r\n\t ")
    if not head.startswith(PDF_MAGIC):
        raise errors.Invalid(f"{field}: only PDF files are accepted", field=field)


def save_bytes(registry, data: bytes, folder: str, suffix: str) -> str:
    """Store ``data`` under a generated name; returns the path relative to the root."""
    root = storage_root(registry)
    target_dir = root / folder
    target_dir.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}{suffix}"
    (target_dir / name).write_bytes(data)
    return f"{folder}/{name}"


def save_pdf_upload(request, field: str, folder: str, required: bool = True) -> str | None:
    data = read_upload(request, field, required=required)
    if data is None:
        return None
    check_pdf(data, field)
    return save_bytes(request.registry, data, folder, ".pdf")


def includeme(config):
    root = storage_root(config.registry)
    root.mkdir(parents=True, exist_ok=True)
    # Files have unguessable generated names; the mobile app opens them without a bearer.
    config.add_static_view(name="media", path=str(root.resolve()), cache_max_age=3600,
                           permission=NO_PERMISSION_REQUIRED)
