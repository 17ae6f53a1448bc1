"""The audit trail: every regulated change, searchable and exportable by administrators and auditors."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_login import login_required

from certreg.trail import services
from certreg.trail.forms import AuditFilterForm
from certreg.trail.labels import action_label
from certreg.web import actor, page_arg

bp = Blueprint("audit", __name__)


def _filters() -> tuple[AuditFilterForm, services.AuditFilter]:
    form = AuditFilterForm(request.args)
    form.validate()
    return form, services.AuditFilter.from_form(form)


@bp.get("/audit")
@login_required
def index():
    form, filters = _filters()
    pagination = services.search(actor(), filters, page=page_arg())
    return render_template("trail/index.html", form=form, pagination=pagination, action_label=action_label,
                           query=request.args.to_dict(flat=True))


@bp.get("/audit/export.<any(csv, xlsx):fmt>")
@login_required
def export(fmt: str):
    """The filtered audit trail as CSV (streamed) or XLSX."""
    _form, filters = _filters()
    if fmt == "csv":
        rows = services.export_rows(actor(), filters)
        return Response(stream_with_context(services.csv_lines(rows)), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=audit-trail.csv"})
    return services.xlsx_response(services.export_rows(actor(), filters))
