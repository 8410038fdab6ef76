"""The exposants page of the web dashboard (via ``makeplus_dashboard_pages``): the event's
leads per exposant (filter, search, pages), the top booths and the Excel export of the leads.

Same domain functions as the REST API: ``services.list_query`` / ``services.serialize`` for
the table, ``services.event_statistics`` for the figures, ``export.leads_sheet`` +
``makeplus_core.xlsx.xlsx_response`` for the download.
"""
from __future__ import annotations

from makeplus_core.plugin_api import Participant, User, xlsx_response

from . import export, services

TEMPLATE = "makeplus_exposants:templates/dashboard.jinja2"


def _exposant_filter(db, event, raw):
    """The exposant chosen with ``?exposant=`` (a participant id of the event), or ``None``."""
    if not raw:
        return None
    return services.get_exposant(db, raw, event.id)  # unknown / another event's: NotFound -> 404 page


def _exposant_choices(db, event_id):
    rows = db.execute(services.exposants_query(event_id).with_only_columns(
        Participant.id, User.first_name, User.last_name, User.username, User.organization)).all()
    out = []
    for r in rows:
        name = f"{r.first_name or ''} {r.last_name or ''}".strip() or r.username
        out.append((str(r.id), f"{name} ({r.organization})" if r.organization else name))
    return out


def register(dashboard):
    def leads(request, event):
        db = request.dbsession
        chosen = _exposant_filter(db, event, request.GET.get("exposant", "").strip())
        pg = dashboard.paginate(request, services.list_query(
            event.id, chosen.id if chosen else None, search=request.GET.get("q", "").strip() or None))
        stats = services.event_statistics(db, event.id)
        chart = dashboard.charts.bar_chart(
            [(b["organization"] or b["name"], b["visits"]) for b in stats["top_booths"]],
            title="Top booths (visits)")
        export_url = dashboard.url(request, "exposants_leads_export", event)
        if chosen:
            export_url += f"?exposant={chosen.id}"
        return {"pg": pg, "rows": services.serialize(request, pg["rows"]), "stats": stats, "chart": chart,
                "exposants": _exposant_choices(db, event.id), "exposant": str(chosen.id) if chosen else "",
                "export_url": export_url, "active": "exposants_leads"}

    def leads_export(request, event):
        db = request.dbsession
        chosen = _exposant_filter(db, event, request.GET.get("exposant", "").strip())
        name = "leads" if chosen else "leads-all-booths"
        resp = xlsx_response(f"{name}-{event.id}.xlsx",
                             [export.leads_sheet(db, event.id, chosen.id if chosen else None)])
        resp.headers["Cache-Control"] = "private, no-store"
        return resp

    dashboard.add_page("exposants_leads", "exposants/leads", leads, TEMPLATE, "Exhibitor leads", order=80)
    dashboard.add_page("exposants_leads_export", "exposants/leads/export", leads_export, TEMPLATE,
                       "Exhibitor leads export", nav=False)
    dashboard.add_export("exposants-leads", "Exhibitor leads (every booth)", "exposants_leads_export")
