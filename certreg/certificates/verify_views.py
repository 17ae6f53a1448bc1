"""Public verification: ``/v/<token>`` (online verdict, works without JavaScript), the offline
page shell and service worker of the installable verifier, the trust list, and "my checks"."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote_plus

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from certreg.actors import Actor
from certreg.application import public_page
from certreg.certificates import catalogue, pagecache, scanlog, states, trust, verification
from certreg.certificates.models import EVENT_LABELS, Certificate
from certreg.extensions import db
from certreg.i18n import country_name, format_date
from certreg.registry.services import active_countries
from certreg.transactions import writes
from certreg.vocabulary import Role
from certreg.web import actor, page_arg, signed_in

bp = Blueprint("verify", __name__)

SW_FILE = Path(__file__).resolve().parents[2] / "static" / "js" / "sw.js"

VERDICT_COLOURS = {
    "VALID": "ok", "UNKNOWN": "warn", "NOT_YET_VALID": "warn",
    "INVALID_SIGNATURE": "bad", "REVOKED": "bad", "SUSPENDED": "bad", "EXPIRED": "bad", "SUPERSEDED": "bad",
}


_texts_cache: dict[str, dict] = {}


def verdict_texts(language: str | None = None) -> dict[str, dict[str, str]]:
    """Headline and explanation of every verdict, in the reader's language (built once per language)."""
    language = language or str(get_locale() or "en")
    cached = _texts_cache.get(language)
    if cached is None:
        cached = _texts_cache[language] = _verdict_texts()
    return cached


def _verdict_texts() -> dict[str, dict[str, str]]:
    return {
        "VALID": {"word": _("VALID"), "detail": _("The certificate is genuine, in date and not suspended or revoked.")},
        "INVALID_SIGNATURE": {"word": _("INVALID SIGNATURE"),
                              "detail": _("This is not a genuine certificate: the signature does not verify. "
                                          "Treat the card as forged.")},
        "REVOKED": {"word": _("REVOKED"), "detail": _("The certificate was revoked by the issuing authority.")},
        "SUSPENDED": {"word": _("SUSPENDED"), "detail": _("The certificate is suspended at the moment.")},
        "EXPIRED": {"word": _("EXPIRED"), "detail": _("The certificate is no longer valid: its end date has passed.")},
        "SUPERSEDED": {"word": _("REPLACED"),
                       "detail": _("This certificate was replaced by a newer one. Ask for the current card.")},
        "NOT_YET_VALID": {"word": _("NOT YET VALID"), "detail": _("The certificate is not valid yet.")},
        "UNKNOWN": {"word": _("UNKNOWN"),
                    "detail": _("The certificate could not be checked (unknown key or status). Check it online "
                                "or call the issuing authority.")},
    }


def page_texts() -> dict:
    """Everything the offline page says, rendered here so that no English lives in JavaScript."""
    language = str(get_locale() or "en")

    return {
        "verdicts": verdict_texts(),
        "colours": VERDICT_COLOURS,
        "labels": {
            "holder": _("Holder"), "number": _("Certificate number"), "categories": _("Categories"),
            "validity": _("Valid"), "country": _("Issuing country"), "kind": _("Holder is a"),
            "technician": _("technician"), "company": _("company"),
        },
        "validity": _("from %(start)s to %(end)s", start="{from}", end="{until}"),
        "statusAsOf": _("Checked offline on this phone. Status as of %(time)s.", time="{time}"),
        "statusStale": _("The status list on this phone is more than %(days)s days old: connect to the internet "
                         "to refresh it before relying on the status.", days="{days}"),
        "statusUnchecked": _("The status (suspended or revoked) could not be checked offline: open this page "
                             "once with a connection."),
        "peerOrigin": _("Issued in a partner installation (%(origin)s); its keys and statuses on this phone are as "
                        "of %(time)s.", origin="{origin}", time="{time}"),
        "checking": _("Checking…"),
        "offlineNoData": _("This phone has no trust list yet. Open any certificate page once with an internet "
                           "connection, then scanning works offline."),
        "synced": _("Ready to check certificates offline."),
        "categoryNames": catalogue.category_names(language),
        "countries": {c.code: country_name(c.code) for c in active_countries()},
    }


def _client(signed: bool) -> str:
    if signed:
        return f"user:{current_user.id}"
    return f"ip:{request.remote_addr or 'unknown'}"


def _inspector(signed: bool) -> Actor | None:
    if signed and current_user.role is Role.INSPECTOR:
        return Actor.of(current_user._get_current_object())
    return None


@bp.get("/v/<token>")
@writes(when=lambda: not scanlog.buffered())
@public_page
def verify(token: str):
    """The verdict first and large, then the public facts of the certificate; nothing more personal.

    :func:`certreg.certificates.verification.verify` counts the request against the client's rate
    limit and records the scan (with the inspector if one is signed in), like ``POST /api/v1/verify``.
    A signed-in inspector also sees the history and the holder's current employer. Without
    JavaScript the page is complete.
    """
    signed = signed_in()
    inspector = _inspector(signed)
    result = verification.verify(token, client=_client(signed), channel="page", inspector=inspector)
    language = str(get_locale() or "en")
    if inspector is None:
        # The page depends only on the token, the verdict (read live above), the day and the
        # language: the same verdict is rendered once and reused (certreg.certificates.pagecache).
        key = (token.upper(), language, result.verdict.value, result.reason, states.today())
        body = pagecache.get_or_render(key, lambda: _render_verdict(result, None, language))
        if not scanlog.buffered():
            db.session.commit()  # the scan record and the count (otherwise written behind)
        return body
    details = None
    if result.certificate is not None:
        cert = db.session.get(Certificate, result.certificate.id)
        employers = cert.technician.current_employers if cert.technician is not None else []
        details = {"events": cert.events, "employers": employers}
    body = _render_verdict(result, details, language)
    db.session.commit()
    return body


def _page_urls() -> dict[str, str]:
    """The fixed links of the verify page (styles, scripts, manifest, APIs): ``url_for`` costs more
    than the rest of the page's head."""
    return {
        "css": url_for("static", filename="css/app.css"), "manifest": url_for("verify.manifest"),
        "icon": url_for("static", filename="img/icon.svg"),
        "script": url_for("static", filename="js/verify-page.js"), "home": url_for("auth.home"),
        "status_list": url_for("api.status_list"), "jwks": url_for("verify.jwks"),
    }


#: Where the card's parts go in a page shell (a NUL never comes from a template or a translation).
_SLOT = "\x00certreg-verify-slot\x00"
#: Where the page's own address goes in a kept shell (the language menu's way back): URL-safe, so
#: ``url_for`` leaves it as it is.
_HERE = "certreg-verify-here-0b5e7e"


def _render_page(*, mode: str, language: str, verdict: str | None, has_claims: bool,
                 page_data: Callable[[], dict], facts: str, inspector: str = "", keep: bool = False) -> str:
    """The verify page: the shell (``certificates/verify.html``) with the card's parts put in.

    The shell depends only on its arguments here, never on the card (it is not given one): with
    ``keep`` it is rendered once per combination and kept in the app (about half of the page's
    rendering, skipped on every scan). Rendered by Jinja directly, not ``render_template``: the
    page is public and uses no context processor (current user, navigation, panels), which would
    load the user and build a menu for nothing.
    """
    app = current_app._get_current_object()
    stale_days = app.config["VERIFY_OFFLINE_STALE_DAYS"]
    key = (request.script_root, mode, language, verdict, has_claims, stale_days)
    shells = app.extensions.setdefault("certreg_verify_shells", {})
    parts = shells.get(key) if keep else None
    if parts is None:
        shell = app.jinja_env.get_or_select_template("certificates/verify.html").render(
            mode=mode, language=language, verdict=verdict, colour=VERDICT_COLOURS[verdict] if verdict else "warn",
            has_claims=has_claims, texts=verdict_texts(language), page_data=page_data(), urls=_page_urls(),
            stale_days=stale_days, facts=Markup(_SLOT), inspector=Markup(_SLOT),  # noqa: S704 - our marker
            here=_HERE)
        parts = shell.split(_SLOT)
        if len(parts) != 3:
            raise RuntimeError("certificates/verify.html must show {{ facts }} and {{ inspector }} once each")
        if keep and not app.jinja_env.auto_reload:
            if len(shells) >= 512:  # a few dozen in use; bounded whatever script roots requests bring
                shells.clear()
            shells[key] = parts
    # as url_for writes a query value (werkzeug.urls._urlencode)
    here = quote_plus(request.full_path if request.query_string else request.path, safe="!$'()*,/:;?@")
    return "".join((parts[0].replace(_HERE, here), facts, parts[1], inspector, parts[2]))


def _rules_url(country_code: str) -> str:
    """The public page of the issuing country's rules and penalties (one ``url_for`` per country)."""
    cache = current_app.extensions.setdefault("certreg.rules_urls", {})
    key = (request.script_root, country_code)
    if key not in cache:
        cache[key] = url_for("countries.rules", code=country_code)
    return cache[key]


#: The card's own values in a kept facts shell: (slot, marker) in the order they are put in.
_FACT_SLOTS = ("holder_name", "number", "valid_from", "valid_until")
_FACT_MARK = re.compile("\x00certreg-fact-(" + "|".join(_FACT_SLOTS) + ")\x00")


def _facts(claims, language: str) -> str:
    """The card's facts (``certificates/_verify_facts.html``).

    What the facts say around the card's values (the labels, the kind of holder, the categories
    and their names, the issuing country and its rules page) depends on the language and a few
    claims with few values; it is rendered once per combination and kept, split where the values
    go. Each scan then only escapes the holder's name and the number and formats the two dates,
    instead of running a dozen translations through Jinja (a quarter of a scan's time).
    """
    app = current_app._get_current_object()
    template = app.jinja_env.get_or_select_template("certificates/_verify_facts.html")
    key = (request.script_root, language, claims.holder_kind, tuple(claims.categories), claims.country)
    kept = app.extensions.setdefault("certreg_verify_facts", {})
    parts = kept.get(key)
    if parts is None:
        marks = {slot: Markup(f"\x00certreg-fact-{slot}\x00") for slot in _FACT_SLOTS}  # noqa: S704 - ours
        html = template.render(claims=claims, category_names=catalogue.category_names(language),
                               rules_url=_rules_url(claims.country), **marks)
        parts = _FACT_MARK.split(html)  # text, slot, text, slot, ..., text
        if sorted(parts[1::2]) != sorted(_FACT_SLOTS):
            raise RuntimeError(f"certificates/_verify_facts.html must show each of {_FACT_SLOTS} once")
        if not app.jinja_env.auto_reload:
            if len(kept) >= 4096:  # languages × kinds × category sets × countries: bounded all the same
                kept.clear()
            kept[key] = parts
    values = {"holder_name": escape(claims.holder_name), "number": escape(claims.number),
              "valid_from": escape(format_date(claims.valid_from, "medium")),
              "valid_until": escape(format_date(claims.valid_until, "medium"))}
    return "".join(part if i % 2 == 0 else values[part] for i, part in enumerate(parts))


def _render_verdict(result, details, language: str) -> str:
    env = current_app.jinja_env
    claims = result.claims
    facts = _facts(claims, language) if claims is not None else \
        env.get_or_select_template("certificates/_verify_facts.html").render(claims=None)
    inspector = "" if details is None else env.get_or_select_template("certificates/_verify_inspector.html").render(
        details=details, event_labels=EVENT_LABELS)
    return _render_page(mode="online", language=language, verdict=result.verdict.value, has_claims=claims is not None,
                        page_data=lambda: {"synced": _("Ready to check certificates offline.")}, facts=facts,
                        inspector=inspector, keep=True)


@bp.get("/verify/offline")
def offline_shell():
    """The page the service worker shows for ``/v/...`` without a network: it verifies in the browser."""
    language = str(get_locale() or "en")
    facts = current_app.jinja_env.get_or_select_template("certificates/_verify_facts.html").render(claims=None)
    return _render_page(mode="offline", language=language, verdict=None, has_claims=False,
                        page_data=page_texts, facts=facts)


def offline_assets() -> list[str]:
    """What the service worker keeps for offline use: the page shells (certificates, licences), styles and scripts."""
    static = Path(current_app.static_folder)
    scripts = ["js/verify-page.js", "js/verify-core.js", "js/licence-page.js", "js/licence-core.js"] + sorted(
        str(p.relative_to(static)) for p in (static / "vendor" / "cborg").rglob("*.js"))
    pages = ["/verify/offline", "/licence-check/offline", "/manifest.webmanifest", "/static/css/app.css",
             "/static/img/icon.svg"]
    return pages + [f"/static/{path}" for path in scripts]


def asset_versions() -> list[str]:
    static = Path(current_app.static_folder)
    return [f"{p}:{p.stat().st_mtime_ns}" for p in sorted(static.rglob("*")) if p.suffix in (".js", ".css")]


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from the root so that its scope covers ``/v/``."""
    text = SW_FILE.read_text(encoding="utf-8").replace("/* ASSETS */ []", json.dumps(offline_assets()))
    version = hashlib.sha256("".join(asset_versions()).encode() + text.encode()).hexdigest()[:12]
    text = text.replace("/* VERSION */ 'dev'", json.dumps(version))
    response = Response(text, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    data = {
        "name": _("certreg certificate check"),
        "short_name": _("Certificate check"),
        "start_url": "/verify/offline",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5e7e",
        "icons": [{"src": "/static/img/icon.svg", "sizes": "any", "type": "image/svg+xml"}],
    }
    response = Response(json.dumps(data, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/.well-known/jwks.json")
def jwks():
    """The trust list: every country's published signing keys (active and still-needed retired ones)."""
    response = jsonify(trust.jwks_document())
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/verify/scans")
@login_required
def scans():
    """An inspector's own checks, newest first."""
    pagination = verification.my_scans(actor(), page=page_arg())
    return render_template("certificates/scans.html", pagination=pagination, colours=VERDICT_COLOURS,
                           texts=verdict_texts())
