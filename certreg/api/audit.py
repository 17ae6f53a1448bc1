"""``/api/v1/audit``: the audit trail for administrators and auditors of the token's country."""

from __future__ import annotations

from flask import request

from certreg.api import bp
from certreg.api.common import api_actor, done, page_args, paginated
from certreg.errors import ValidationFailed
from certreg.trail import services
from certreg.trail.forms import AuditFilterForm


@bp.get("/audit")
def audit_trail():
    actor = api_actor()
    actor.require(services.can_read_trail(actor, actor.country_code))
    form = AuditFilterForm(request.args, meta={"csrf": False})
    if not form.validate():
        raise ValidationFailed(fields=form.error_map())
    page, per_page = page_args()
    pagination = services.search(actor, services.AuditFilter.from_form(form), page=page, per_page=per_page)
    return done(paginated(pagination, lambda e: {
        "source": e.source,
        "id": e.id,
        "at": e.at.isoformat(),
        "actor": e.actor_label,
        "actor_user_id": e.actor_user_id,
        "country_code": e.country_code,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "summary": e.text(),
        "reason": e.reason,
        "before": e.before,
        "after": e.after,
    }))
