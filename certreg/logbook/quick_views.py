"""The technician's quick charge or recovery without network, on the logbook's blueprint: the phone's offline
form and queue (``static/js/quick-queue.js`` on ``static/js/offline-queue.js``, kept by the service worker),
and the sync of one queued entry (:mod:`certreg.logbook.quick_entries`, recorded once per client id)."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_login import login_required

from certreg import web
from certreg.forms import form_from_json
from certreg.logbook import equipment as equipment_services
from certreg.logbook import holders, quick_entries
from certreg.logbook.forms import QuickEntryForm
from certreg.logbook.models import Channel
from certreg.logbook.views import bp, own_holder
from certreg.web import actor

#: The most of the holder's equipment the offline page lists (to pick from with no network).
OFFLINE_EQUIPMENT = 200


@bp.get("/logbook/quick/offline")
@login_required
def quick_offline():
    """The phone's offline quick entry and its queue; kept by the service worker once opened online."""
    who = own_holder()
    units = equipment_services.search(actor(), who.country_code, "", who=who, limit=OFFLINE_EQUIPMENT).items
    form = QuickEntryForm(meta={"csrf": False}, kind="charge", condition="virgin")
    return render_template("logbook/quick_offline.html", form=form, who=who, units=units)


@bp.get("/logbook/quick/sync/token")
@login_required
def quick_sync_token():
    """A fresh CSRF token for the queue's sync."""
    holders.require_write(actor(), own_holder())
    return web.sync_token()


@bp.put("/logbook/quick/sync/<client_id>")
@login_required
def quick_sync(client_id: str):
    """One queued charge or recovery: 201 recorded now, 200 recorded before (the same entry), 409
    ``client_id_conflict`` (the id was used for another entry), 4xx refused with its code; nothing of a
    refused entry is written."""
    who = own_holder()

    def record():
        form = form_from_json(QuickEntryForm, request.get_json(silent=True))
        intervention, created = quick_entries.record(actor(), who, quick_entries.QuickEntryData.from_form(form),
                                                     client_id_text=client_id, channel=Channel.WEB)
        return {"id": intervention.id, "client_id": intervention.client_id,
                "equipment": intervention.equipment.code, "entries": [e.id for e in intervention.entries],
                "url": url_for("logbook.equipment_detail", equipment_id=intervention.equipment_id)}, created
    return web.sync_answer(record)
