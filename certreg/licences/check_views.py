"""The public licence check: ``/l/<token>`` (online verdict, complete without JavaScript) and the
page shell the service worker shows for ``/l/...`` without a network (it checks in the browser with
``static/js/licence-page.js`` against the cached trust list and licence status lists)."""

from __future__ import annotations

import re
from urllib.parse import quote_plus

from flask import Blueprint, current_app, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from certreg.application import public_page
from certreg.certificates import pagecache, scanlog
from certreg.certificates.states import today
from certreg.extensions import db
from certreg.i18n import country_name, format_date
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
        "peerOrigin": _("Issued in a partner installation (%(origin)s); its keys and statuses on this phone are as "
                        "of %(time)s.", origin="{origin}", time="{time}"),
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
@public_page
def check(token: str):
    """The verdict first and large, then the licence's terms; counted like certificate checks.

    The page is the kept shell (:func:`_page`) with the licence's facts put in; the whole page, a pure
    function of the key below (the verdict is read live on every request), is also kept briefly
    (:mod:`certreg.certificates.pagecache`), as the certificate check page is.
    """
    result = checking.check(token, client=_client())
    held, language = result.licence, str(get_locale() or "en")
    key = ("licence", token.upper(), language, result.verdict, result.reason, today(),
           held.id if held else None, held.updated_at if held else None)
    body = pagecache.get_or_render(key, lambda: _page(
        "online", language, result.verdict, _facts(result.claims, held, language), result.claims is not None))
    if not scanlog.buffered():
        db.session.commit()  # the rate limit's count (otherwise written behind)
    return body


#: The licence's own values in a kept facts part, each put in escaped per request.
_FACT_SLOTS = ("holder_name", "registration", "number", "scope", "hs_codes", "cap_kg", "valid_from", "valid_until")
_FACT_MARK = re.compile("\x00certreg-licence-(" + "|".join(_FACT_SLOTS) + ")\x00")


def _facts(claims, held, language: str) -> str:
    """The licence's terms (``licences/_check_facts.html``).

    The labels and what the terms choose between (direction, partner countries and their names, the issuing
    country, whether the register's holder and HS codes show) are rendered once per language and combination
    and kept, split where the values go; each check then only escapes its own values in (as the certificate
    check's facts), instead of a dozen translations through Jinja.
    """
    if claims is None:
        return current_app.jinja_env.get_or_select_template("licences/_check_facts.html").render(c=None)
    app = current_app._get_current_object()
    # Format 2 signs the holder's name and HS codes; for format 1 the register's show (online only).
    holder = claims.holder_name or (held.holder_name if held is not None else None)
    hs = claims.hs_codes_text if claims.hs_codes_text is not None else (held.hs_codes if held is not None else None)
    key = (request.script_root, language, holder is not None, hs is not None, bool(hs), claims.direction,
           tuple(claims.partner_countries), claims.country)
    kept = app.extensions.setdefault("certreg_licence_facts", {})
    parts = kept.get(key)
    if parts is None:
        marks = {slot: Markup(f"\x00certreg-licence-{slot}\x00") for slot in _FACT_SLOTS}  # noqa: S704 - ours
        html = app.jinja_env.get_or_select_template("licences/_check_facts.html").render(
            c=claims, show_holder=key[2], show_hs=key[3], has_hs=key[4], labels=labels(), **marks)
        parts = _FACT_MARK.split(html)  # text, slot, text, slot, ..., text
        if len(set(parts[1::2])) != len(parts[1::2]):
            raise RuntimeError(f"licences/_check_facts.html must show each of {_FACT_SLOTS} at most once")
        if not app.jinja_env.auto_reload:
            if len(kept) >= 4096:  # languages × directions × partner sets × countries: bounded all the same
                kept.clear()
            kept[key] = parts
    values = {"registration": escape(claims.holder_registration), "number": escape(claims.number),
              "scope": escape(", ".join(claims.scope)), "cap_kg": escape(claims.cap_kg_text),
              "valid_from": escape(format_date(claims.valid_from, "medium")),
              "valid_until": escape(format_date(claims.valid_until, "medium"))}
    if holder is not None:
        values["holder_name"] = escape(holder)
    if hs is not None:
        values["hs_codes"] = escape(", ".join(hs))
    return "".join(part if i % 2 == 0 else values[part] for i, part in enumerate(parts))


#: Where the licence's facts go in a kept shell (a NUL never comes from a template or a translation).
_SLOT = "\x00certreg-licence-slot\x00"
#: Where the page's own address goes in a kept shell (the language menu's way back): URL-safe.
_HERE = "certreg-licence-here-5a1c3d"


def _page(mode: str, language: str, verdict: str | None, facts: str, has_claims: bool = False) -> str:
    """The check page: the shell (``licences/check.html``, rendered once per mode, language and verdict and
    kept in the app: it never sees the licence) with the facts and the page's address put in."""
    app = current_app._get_current_object()
    shell_key = (request.script_root, mode, language, verdict, has_claims)
    shells = app.extensions.setdefault("certreg_licence_shells", {})
    parts = shells.get(shell_key)
    if parts is None:
        page_data = page_texts() if mode == "offline" else {"synced": _("Ready to check licences offline.")}
        shell = app.jinja_env.get_or_select_template("licences/check.html").render(
            mode=mode, language=language, verdict=verdict, colour=COLOURS[verdict] if verdict else "warn",
            has_claims=has_claims, texts=verdict_texts(), urls=_urls(), page_data=page_data,
            stale_days=current_app.config["VERIFY_OFFLINE_STALE_DAYS"], facts=Markup(_SLOT),  # noqa: S704
            here=_HERE)
        parts = shell.split(_SLOT)
        if len(parts) != 2:
            raise RuntimeError("licences/check.html must show {{ facts }} once")
        if mode == "online" and not app.jinja_env.auto_reload:
            if len(shells) >= 512:
                shells.clear()
            shells[shell_key] = parts
    here = quote_plus(request.full_path if request.query_string else request.path, safe="!$'()*,/:;?@")
    return "".join((parts[0].replace(_HERE, here), facts, parts[1]))


@bp.get("/licence-check/offline")
def offline_shell():
    """The page the service worker shows for ``/l/...`` without a network: it checks in the browser."""
    language = str(get_locale() or "en")
    facts = current_app.jinja_env.get_or_select_template("licences/_check_facts.html").render(c=None)
    return _page("offline", language, None, facts)
