"""``/api/v1`` for certificates: verification, live status, the status list, the lifecycle,
downloads, categories and the dealers' purchase check."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, request
from flask_babel import get_locale

from certreg.api import bp
from certreg.api.common import api_actor, done, int_arg, json_body, optional_actor, page_args, paginated
from certreg.certificates import access, catalogue, lifecycle, outputs, purchase, queries, states, trust, verification
from certreg.certificates.forms import (
    CategoryForm,
    IssueForm,
    ReinstateForm,
    RenewForm,
    RevokeForm,
    SuspendForm,
    VerifyForm,
)
from certreg.certificates.models import Certificate
from certreg.db import utcnow
from certreg.forms import form_from_json
from certreg.inputs import date_in_range, date_out_of_range


def _language() -> str:
    return str(get_locale() or "en")


def certificate_json(cert: Certificate, *, full: bool = True) -> dict[str, Any]:
    state = states.state_on(cert, states.today())
    data: dict[str, Any] = {
        "number": cert.number,
        "country_code": cert.country_code,
        "holder_kind": cert.holder_kind.value,
        "holder_name": cert.holder_name,
        "categories": cert.category_codes,
        "valid_from": cert.valid_from.isoformat(),
        "valid_until": cert.valid_until.isoformat(),
        "state": state.value,
    }
    if full:
        data.update(
            holder_id=cert.holder_id,
            status=cert.status.value,
            status_reason=cert.status_reason,
            suspended_from=cert.suspended_from.isoformat() if cert.suspended_from else None,
            suspended_until=cert.suspended_until.isoformat() if cert.suspended_until else None,
            authority=cert.authority.name,
            token=cert.token,
            verify_url=outputs.verify_url_prefix() + cert.token,
            replaces=None,
            events=[{"at": e.at.isoformat(), "action": e.action.value, "actor": e.actor_label, "reason": e.reason}
                    for e in cert.events],
        )
    return data


def _client() -> str:
    actor = optional_actor()
    return f"user:{actor.user_id}" if actor else f"ip:{request.remote_addr or 'unknown'}"


# --- public -----------------------------------------------------------------------------


@bp.get("/status-list")
def status_list():
    """Signed status lists of every country (docs/qr-token.md section 7)."""
    response = done(trust.status_list_document())
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.post("/verify")
def verify():
    """The same verdict as the ``/v/<token>`` page. Rate limited per client; every call is a scan."""
    actor = optional_actor()
    form = form_from_json(VerifyForm, json_body())
    result = verification.verify(form.token.data.strip(), client=_client(), channel="api", inspector=actor)
    claims = result.claims
    return done({
        "verdict": result.verdict.value,
        "reason": result.reason,
        "status_checked_at": utcnow().isoformat() if result.certificate else None,
        "certificate": None if claims is None else {
            "number": claims.number, "holder_name": claims.holder_name, "holder_kind": claims.holder_kind,
            "country_code": claims.country, "categories": list(claims.categories),
            "valid_from": claims.valid_from.isoformat(), "valid_until": claims.valid_until.isoformat(),
        },
    })


@bp.get("/certificates/<number>/status")
def certificate_status(number: str):
    """Live status by number (what a dealer types). Public facts only; rate limited; a scan."""
    cert = verification.status_by_number(number, client=_client(), inspector=optional_actor())
    return done(certificate_json(cert, full=False))


# --- officials and holders -------------------------------------------------------------------


@bp.get("/certificates")
def list_certificates():
    actor = api_actor()
    page, per_page = page_args()
    pagination = queries.list_certificates(
        actor, actor.country_code, list_filter=request.args.get("filter", "all"), q=request.args.get("q") or None,
        days=int_arg("days", 60, minimum=0, maximum=3650),
        page=page, per_page=per_page)
    return done(paginated(pagination, lambda c: certificate_json(c, full=False)))


@bp.post("/certificates")
def issue_certificate():
    """Issue (certifying officers of the holder's country)."""
    actor = api_actor()
    actor.require(actor.has_role(*access.CERTIFIERS))  # the holder's country is checked by the service
    form = form_from_json(IssueForm, json_body())
    cert = lifecycle.issue(actor, lifecycle.IssueData(
        holder_kind=form.holder_kind.data, holder_id=form.holder_id.data, categories=list(form.categories.data or []),
        valid_from=form.valid_from.data, valid_until=form.valid_until.data, authority_id=form.authority_id.data))
    return done(certificate_json(cert), 201)


@bp.get("/certificates/<number>")
def get_certificate(number: str):
    cert = queries.get_certificate(api_actor(), number)
    return done(certificate_json(cert))


def _certifiable(number: str):
    actor = api_actor()
    cert = queries.get_certificate(actor, number)
    actor.require(access.can_certify(actor, cert.country_code))
    return actor, cert


@bp.post("/certificates/<number>/renew")
def renew_certificate(number: str):
    actor, cert = _certifiable(number)
    form = form_from_json(RenewForm, json_body())
    new = lifecycle.renew(actor, cert, lifecycle.IssueData(
        holder_kind=cert.holder_kind.value, holder_id=cert.holder_id, categories=list(form.categories.data or []),
        valid_from=form.valid_from.data, valid_until=form.valid_until.data), reason=form.reason.data)
    return done(certificate_json(new), 201)


@bp.post("/certificates/<number>/suspend")
def suspend_certificate(number: str):
    actor, cert = _certifiable(number)
    form = form_from_json(SuspendForm, json_body())
    lifecycle.suspend(actor, cert, form.reason.data, until=form.until.data)
    return done(certificate_json(cert))


@bp.post("/certificates/<number>/reinstate")
def reinstate_certificate(number: str):
    actor, cert = _certifiable(number)
    form = form_from_json(ReinstateForm, json_body())
    lifecycle.reinstate(actor, cert, form.reason.data)
    return done(certificate_json(cert))


@bp.post("/certificates/<number>/revoke")
def revoke_certificate(number: str):
    actor, cert = _certifiable(number)
    form = form_from_json(RevokeForm, json_body())
    lifecycle.revoke(actor, cert, form.reason.data)
    return done(certificate_json(cert))


def _file(body, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/certificates/<number>/qr.png")
def certificate_qr_png(number: str):
    cert = queries.get_certificate(api_actor(), number)
    return _file(outputs.qr_png(cert), "image/png", f"{cert.number}.png")


@bp.get("/certificates/<number>/qr.svg")
def certificate_qr_svg(number: str):
    cert = queries.get_certificate(api_actor(), number)
    return _file(outputs.qr_svg(cert), "image/svg+xml", f"{cert.number}.svg")


@bp.get("/certificates/<number>/card.pdf")
def certificate_card_pdf(number: str):
    cert = queries.get_certificate(api_actor(), number)
    return _file(outputs.wallet_card_pdf(cert, _language()), "application/pdf", f"{cert.number}-card.pdf")


@bp.get("/certificates/<number>/certificate.pdf")
def certificate_a4_pdf(number: str):
    cert = queries.get_certificate(api_actor(), number)
    return _file(outputs.certificate_pdf(cert, _language()), "application/pdf", f"{cert.number}.pdf")


# --- categories and the purchase check ---------------------------------------------------------


def category_json(c) -> dict[str, Any]:
    return {"code": c.code, "scheme": c.scheme.value, "country_code": c.country_code,
            "holder_kind": c.holder_kind.value, "activities": list(c.activities), "substances": list(c.substances),
            "valid_until": c.valid_until.isoformat() if c.valid_until else None, "names": dict(c.names),
            "name": c.name(_language()), "is_active": c.is_active}


@bp.get("/certificate-categories")
def list_categories():
    """Public: every international category and the national scopes (of ``country`` if given)."""
    country = (request.args.get("country") or "").upper() or None
    rows = catalogue.active_categories(country_code=country) if country else catalogue.active_categories()
    return done({"items": [category_json(c) for c in rows]})


@bp.post("/certificate-categories")
def create_category():
    """Add a national scope of the administrator's country."""
    actor = api_actor()
    actor.require(access.can_manage_categories(actor, actor.country_code))
    form = form_from_json(CategoryForm, json_body())
    category = catalogue.create_national_scope(actor, catalogue.CategoryData(
        country_code=actor.country_code, code=form.code.data, name_en=form.name_en.data, name_ru=form.name_ru.data,
        activities=form.activities.data or [], substances=form.substances.data or [],
        holder_kind=form.holder_kind.data))
    return done(category_json(category), 201)


@bp.get("/purchase-check")
def purchase_check():
    """May the holder of ``certificate`` (number or scanned URL) buy ``substance`` on ``date`` (default today)?"""
    api_actor()
    text, substance = request.args.get("certificate", ""), request.args.get("substance", "")
    try:
        on_date = date.fromisoformat(request.args["date"]) if request.args.get("date") else states.today()
    except ValueError:
        raise queries.invalid_date("date") from None
    if not date_in_range(on_date):
        raise date_out_of_range("date")
    result = purchase.check_purchase(text[:2000], substance[:64], on_date)
    return done({"allowed": result.allowed, "code": result.code, "message": result.message,
                 "certificate": result.certificate.number if result.certificate else None,
                 "holder_kind": result.holder_kind, "holder_id": result.holder_id})
