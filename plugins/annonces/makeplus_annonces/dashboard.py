"""The annonces pages of the web dashboard (via ``makeplus_dashboard_pages``)."""
from __future__ import annotations

from makeplus_core.plugin_api import api

from . import schemas, services
from .models import TARGETS, Annonce

TEMPLATE = "makeplus_annonces:templates/dashboard.jinja2"


def register(dashboard):
    def listing(request, event):
        if request.method == "POST":
            data = api.validate(schemas.AnnonceSchema(), dashboard.form(request))
            annonce = services.create(request.dbsession, event.id, request.identity.user_id, data)
            dashboard.flash(request, "Announcement “${title}” published.", title=annonce.title)
            return dashboard.redirect(request, "annonces", event)
        target = request.GET.get("target", "")
        pg = dashboard.paginate(request, services.list_query(
            event.id, None, True, target=target if target in TARGETS else None,
            search=request.GET.get("q", "").strip() or None))
        return {"pg": pg, "targets": TARGETS, "target": target, "annonce": None, "active": "annonces",
                "form": {"target": "all"}}

    def edit(request, event):
        db = request.dbsession
        annonce = api.get_or_404(db, Annonce, request.matchdict["id"], event.id, label="Announcement")
        if request.method == "POST":
            if request.POST.get("action") == "delete":
                db.delete(annonce)
                dashboard.flash(request, "Announcement deleted.")
                return dashboard.redirect(request, "annonces", event)
            data = api.validate(schemas.AnnonceSchema(), dashboard.form(request, "action"))
            services.update(db, annonce, data)
            dashboard.flash(request, "Announcement saved.")
            return dashboard.redirect(request, "annonces", event)
        return {"annonce": annonce, "targets": TARGETS, "active": "annonces",
                "form": {"title": annonce.title, "description": annonce.description, "target": annonce.target}}

    dashboard.add_page("annonces", "annonces", listing, TEMPLATE, "Announcements", order=50,
                       methods=("GET", "POST"))
    dashboard.add_page("annonce", f"annonces/{api.UUID_ID}", edit, TEMPLATE, "Announcement",
                       methods=("GET", "POST"))



