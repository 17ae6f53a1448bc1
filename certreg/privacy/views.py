"""The public privacy notice and the subject-access export (administrators)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, render_template
from flask_login import login_required

from certreg.extensions import db
from certreg.privacy import services
from certreg.transactions import writes
from certreg.web import actor

bp = Blueprint("privacy", __name__)


@bp.get("/privacy")
def notice():
    """What certreg keeps about people, why, and for how long (the retention settings in force)."""
    return render_template("privacy/notice.html", config=current_app.config)


def _download(data: dict, name: str) -> Response:
    db.session.commit()  # the export's audit entry
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}.json"'})


@bp.get("/admin/privacy/technicians/<int:technician_id>/export")
@login_required
@writes
def export_technician(technician_id: int):
    """Everything kept about a technician, as JSON (a subject-access request)."""
    return _download(services.export_technician(actor(), technician_id), f"technician-{technician_id}")


@bp.get("/admin/privacy/users/<int:user_id>/export")
@login_required
@writes
def export_user(user_id: int):
    """Everything kept about an account, as JSON (a subject-access request)."""
    return _download(services.export_user(actor(), user_id), f"account-{user_id}")
