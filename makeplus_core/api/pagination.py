"""Lists one page at a time: ``{count, next, previous, results}`` as the seed's lists are.

``?page=`` (from 1) and ``?page_size=`` (``makeplus.page_size``, default 200, at most
``makeplus.max_page_size``, default 1000) choose the page.
"""
from __future__ import annotations

from urllib.parse import urlencode

import sqlalchemy as sa

from ..schema import INT_MAX, to_int


def page_params(request) -> tuple[int, int]:
    """``(page, page_size)`` from the query string, bounded (a 400 naming the parameter)."""
    settings = request.registry.settings
    default = int(settings.get("makeplus.page_size", 200))
    maximum = int(settings.get("makeplus.max_page_size", 1000))
    page = to_int(request.GET.get("page", 1), "page", minimum=1, maximum=INT_MAX)
    size = to_int(request.GET.get("page_size", default), "page_size", minimum=1, maximum=maximum)
    return page, size


def paginate(request, stmt, serialize, *, count_in_page: bool = False) -> dict:
    """Run ``stmt`` (a ``select`` of one entity) one page at a time.

    Two statements whatever the page size: a count and the page itself.
    ``serialize(rows)`` turns the page's objects into JSON-ready dicts in bulk.

    ``count_in_page``: the page's statement carries the count (``count(*) OVER ()``), one
    statement; only for a ``stmt`` whose rows are its entities one for one (no joined
    collection, which would multiply rows). An empty page past the first still counts apart.
    """
    page, size = page_params(request)
    db = request.dbsession
    offset = (page - 1) * size
    if count_in_page:
        result = db.execute(stmt.add_columns(sa.func.count().over()).limit(size).offset(offset)).all()
        rows = [row[0] for row in result]
        total = result[0][1] if result else (0 if page == 1 else _count(db, stmt))
    else:
        total = _count(db, stmt)
        rows = db.scalars(stmt.limit(size).offset(offset)).unique().all()
    return _page(request, page, size, total, serialize(rows))


def paginate_rows(request, fetch, serialize) -> dict:
    """:func:`paginate` of rows read by the caller: ``fetch(limit, offset)`` returns the page's
    rows, each carrying the length of the whole list as ``total`` (``count(*) OVER ()``): one
    statement. An empty page past the first reads the first row again for the count."""
    page, size = page_params(request)
    rows = fetch(size, (page - 1) * size)
    if not rows and page > 1:
        first = fetch(1, 0)
        total = first[0].total if first else 0
    else:
        total = rows[0].total if rows else 0
    return _page(request, page, size, total, serialize(rows))


def _page(request, page: int, size: int, total: int, results: list) -> dict:
    return {
        "count": total,
        "next": _page_url(request, page + 1) if page * size < total else None,
        "previous": _page_url(request, page - 1) if page > 1 else None,
        "results": results,
    }


def _count(db, stmt) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))


def _page_url(request, page: int) -> str:
    query = dict(request.GET)
    query["page"] = page
    return f"{request.path_url}?{urlencode(query)}"
