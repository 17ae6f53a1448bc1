"""The public licence check: ``/l/<token>`` (online verdict, complete without JavaScript) and the
page shell the service worker shows for ``/l/...`` without a network (it checks in the browser with
``static/js/licence-page.js`` against the cached trust list and licence status lists)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from certreg.certificates import scanlog
from certreg.extensions import db
from certreg.i18n import country_name
from certreg.licences import checking
from certreg.registry.services import active_countries
from certreg.transactions import writes
from certreg.web import signed_in

bp = Blueprint("licence_check", __name__)

COLOURS = {"VALID": "ok", "UNKNOWN": "warn", "NOT_YET_VALID": "warn", "INVALID_SIGNATURE": "bad", "REVOKED": "bad",
           "SUSPENDED": "bad", "EXPIRED": "bad", "SUPERSEDED": "bad"}


def verdict_texts() -> dict[str, dict[str, str]]:
    """Headline and explanation of every verdict, in the reader's language."""
    return {
        "VALID": {"word": _("VALID"), "detail": _("The licence is genuine, in force and within its dates.")},
        "INVALID_SIGNATURE": {"word": _("INVALID SIGNATURE"),
                              "detail": _("This is not a genuine licence: the signature does not verify. Treat "
                                          "the document as forged.")},
        "REVOKED": {"word": _("REVOKED"), "detail": _("The licence was revoked by the issuing authority.")},
        "SUSPENDED": {"word": _("SUSPENDED"), "detail": _("The licence is suspended at the moment.")},
        "EXPIRED": {"word": _("EXPIRED"), "detail": _("The licence is no longer in force.")},
        "NOT_YET_VALID": {"word": _("NOT YET VALID"), "detail": _("The licence is not in force yet.")},
        "SUPERSEDED": {"word": _("REPLACED"),
                       "detail": _("The terms of this licence changed after this document was printed. Ask for "
                                   "the current document.")},
        "UNKNOWN": {"word": _("UNKNOWN"),
                    "detail": _("The licence could not be checked (unknown key or status). Check it online or "
                                "call the issuing authority.")},
    }


def labels() -> dict[str, str]:
    return {"holder": _("Licence holder"), "registration": _("Registration number"), "number": _("Licence number"),
            "direction": _("Direction"), "import": _("Import"), "export": _("Export"),
            "scope": _("Substances or control groups"), "hs": _("HS codes"), "cap": _("Cap"), "validity": _("Valid"),
            "partners": _("Partner countries"), "any": _("any"), "country": _("Issuing country")}


def page_texts() -> dict:
    """Everything the offline page says (no English lives in JavaScript)."""
    return {
        "verdicts": verdict_texts(), "colours": COLOURS, "labels": labels(),
        "kg": _("%(kg)s kg", kg="{kg}"),
        "validity": _("from %(start)s to %(end)s", start="{from}", end="{until}"),
        "statusAsOf": _("Checked offline on this phone. Status as of %(time)s.", time="{time}"),
        "statusStale": _("The status list on this phone is more than %(days)s days old: connect to the internet "
                         "to refresh it before relying on the status.", days="{days}"),
        "statusUnchecked": _("The status (suspended or revoked) could not be checked offline: open this page "
                             "once with a connection."),
        "offlineNoData": _("This phone has no trust list yet. Open any licence check page once with an internet "
                           "connection, then checks work offline."),
        "synced": _("Ready to check licences offline."),
        "countries": {c.code: country_name(c.code) for c in active_countries()},
    }


def _urls() -> dict[str, str]:
    return {"css": url_for("static", filename="css/app.css"), "manifest": url_for("verify.manifest"),
            "icon": url_for("static", filename="img/icon.svg"),
            "script": url_for("static", filename="js/licence-page.js"), "home": url_for("auth.home"),
            "status_list": url_for("api.licence_status_list"), "jwks": url_for("verify.jwks")}


def _client() -> str:
    if signed_in():
        return f"user:{current_user.id}"
    return f"ip:{request.remote_addr or 'unknown'}"


@bp.get("/l/<token>")
@writes(when=lambda: not scanlog.buffered())
def check(token: str):
    """The verdict first and large, then the licence's terms as signed; counted like certificate checks."""
    result = checking.check(token, client=_client())
    body = render_template("licences/check.html", mode="online", result=result, texts=verdict_texts(),
                           colour=COLOURS[result.verdict], urls=_urls(), labels=labels(),
                           page_data={"synced": _("Ready to check licences offline.")}, stale_days=_stale_days())
    db.session.commit()
    return body


def _stale_days() -> int:
    return current_app.config["VERIFY_OFFLINE_STALE_DAYS"]


@bp.get("/licence-check/offline")
def offline_shell():
    """The page the service worker shows for ``/l/...`` without a network: it checks in the browser."""
    return render_template("licences/check.html", mode="offline", result=None, texts=verdict_texts(),
                           colour="warn", urls=_urls(), labels=labels(), page_data=page_texts(),
                           stale_days=_stale_days())
