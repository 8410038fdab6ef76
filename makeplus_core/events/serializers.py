"""JSON for files stored under the storage root."""
from __future__ import annotations


def file_url(request, path: str | None) -> str | None:
    """The absolute URL of a stored file (``None`` when there is none)."""
    if not path:
        return None
    if path.startswith(("http://", "https://")):
        return path
    base = request.application_url if request is not None else ""
    return f"{base}/media/{path.lstrip('/')}"
