"""The CSV upload page for paper logbooks: the same import as ``flask logbook import`` and
``POST /api/v1/logbook/imports`` (:func:`certreg.logbook.imports.import_csv`), all lines or none, with
every refused line listed on the page.

Without JavaScript the form is a plain multipart post; ``static/js/logbook-import.js`` sends it with
upload progress and shows the answer in the page.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from certreg.errors import Forbidden, ValidationFailed, roll_back
from certreg.extensions import db
from certreg.logbook import holders, imports
from certreg.logbook.forms import ImportForm
from certreg.logbook.models import Channel
from certreg.web import actor, form_status

bp = Blueprint("logbook_import", __name__)


def writable_holders() -> list[holders.Holder]:
    """The logbooks the signed-in user may import into (today: their own)."""
    who = holders.acting_holder(actor())
    if who is None:
        raise Forbidden(_("Only companies and technicians keep logbooks."))
    return [who]


@bp.route("/logbook/import", methods=["GET", "POST"])
@login_required
def upload():
    holders = {who.ref: who for who in writable_holders()}
    form = ImportForm()
    form.holder.choices = [(ref, who.name) for ref, who in holders.items()]
    if form.holder.data is None:
        form.holder.data = next(iter(holders))
    result = None
    if form.validate_on_submit():
        who = holders[form.holder.data]
        upload = form.file.data
        try:
            result = imports.import_csv(actor(), who, upload.read(), upload.filename or "upload.csv",
                                        channel=Channel.CSV)
        except ValidationFailed as exc:
            roll_back(exc)
            if exc.fields:
                form.apply(exc)
            else:
                form.file.errors = [*form.file.errors, exc.message]
        else:
            if result.ok:
                db.session.commit()
                flash(_("Imported %(n)s entries from %(file)s (import #%(id)s).", n=result.entries,
                        file=upload.filename, id=result.batch_id), "success")
                if request.headers.get("X-Requested-With") == "XMLHttpRequest":
                    # the page's script goes there itself (following a redirect would eat the message)
                    return "", 204, {"Location": url_for("logbook.index")}
                return redirect(url_for("logbook.index"))
            roll_back(imports.ImportRefused(result))
    status = 422 if result is not None and not result.ok else form_status(form)
    return render_template("logbook/import.html", form=form, result=result, several=len(holders) > 1,
                           who=next(iter(holders.values())), max_errors=imports.MAX_ERRORS), status
