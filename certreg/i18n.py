"""Languages: locale selection, the per-feature catalogues and the language switch.

Each feature keeps its own catalogue under ``certreg/<feature>/translations`` (the
shared one is ``certreg/translations``); Flask-Babel merges them. ``make i18n``
extracts and updates them, ``scripts/i18n.py check`` (run by the tests) fails on any
untranslated string.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from datetime import date
from pathlib import Path

import flask_babel
from babel import Locale
from babel.support import NullTranslations
from flask import Blueprint, Flask, current_app, g, has_request_context, redirect, request, url_for
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from certreg.application import Certreg
from certreg.errors import NotFound
from certreg.extensions import babel, db
from certreg.security import is_safe_next
from certreg.web import signed_in

PACKAGE = Path(__file__).resolve().parent
LANG_COOKIE = "certreg_lang"

bp = Blueprint("i18n", __name__)


def translation_directories() -> list[str]:
    """Every ``translations`` folder of the package, the shared one first."""
    dirs = [PACKAGE / "translations"]
    dirs += sorted(p for p in PACKAGE.glob("*/translations") if p.is_dir())
    return [str(d) for d in dirs if d.is_dir()]


# Pages that also speak the verifier set (config PUBLIC_LANGUAGES): an inspector anywhere in the region
# reads the verdict in their language. Other pages use the complete languages only.
PUBLIC_ENDPOINTS = frozenset({"verify.verify", "verify.offline_shell", "verify.manifest", "registry.search",
                              "auth.login", "auth.home", "i18n.switch", "licence_check.check",
                              "licence_check.offline_shell", "cylinder_scan.scan", "cylinder_scan.offline_shell"})


def served_languages(signed: bool | None = None) -> tuple[str, ...]:
    """The languages this request may be served in (``signed``: :func:`signed_in`, if the caller knows)."""
    config = current_app.config
    languages = tuple(config["LANGUAGES"])
    if not has_request_context():
        return languages
    endpoint = request.endpoint
    if endpoint in PUBLIC_ENDPOINTS and (
            endpoint.startswith(("verify.", "licence_check.", "cylinder_scan."))
            or not (signed_in() if signed is None else signed)):
        return languages + tuple(config.get("PUBLIC_LANGUAGES", ()))
    return languages


def select_locale() -> str:
    if not has_request_context():
        return current_app.config.get("CLI_LOCALE") or current_app.config["BABEL_DEFAULT_LOCALE"]
    signed = signed_in()
    languages = served_languages(signed)
    if signed:
        preferred = getattr(current_user, "locale", None)
        if preferred in languages:
            return preferred
    cookies = request.cookies  # (``.get`` of a missing key raises and catches a KeyError inside)
    cookie = cookies[LANG_COOKIE] if LANG_COOKIE in cookies else None  # noqa: SIM401 - see above
    if cookie in languages:
        return cookie
    header = request.headers.get("Accept-Language", "")
    return _best_match(header, tuple(languages)) or current_app.config["BABEL_DEFAULT_LOCALE"]


@functools.lru_cache(maxsize=16)
def _locale(code: str) -> Locale:
    """Babel's locale object, parsed once (Flask-Babel takes it as it is: ``Locale.parse`` returns a
    ``Locale`` unchanged)."""
    return Locale.parse(code)


@functools.lru_cache(maxsize=256)
def _best_match(header: str, languages: tuple[str, ...]) -> str | None:
    """The browser's preferred language among ours; parsed once per distinct header (phones send a
    handful of different ones, and this runs on every request)."""
    return negotiate(header, languages)


# Chinese regions that write Simplified characters; the others (TW, HK, MO) still read zh_Hans better than English.
_HANS_REGIONS = {"CN", "SG", "MY"}
# Tags Babel and browsers write differently from our catalogues: Montenegrin (Babel: sr_Latn_ME) reads the
# Serbian Latin catalogue; Serbian in Montenegro and Bosnia is written in Latin too.
_ALIASES = {"cnr": "sr-latn", "sr-me": "sr-latn"}


def negotiate(header: str, languages: tuple[str, ...]) -> str | None:
    """Our language for an ``Accept-Language`` header: the browser's languages in its order of preference,
    each matched exactly (``zh-Hans``, ``sr-Latn``) or else by its primary language (``zh-CN`` → ``zh_Hans``,
    ``kk-KZ`` → ``kk``), so ``ky-KG, ru;q=0.8`` gives Kyrgyz, not Russian."""
    ours = {code.lower().replace("_", "-"): code for code in languages}
    for value, _quality in parse_accept_header(header, LanguageAccept):
        tag = value.lower().replace("_", "-")
        tag = _ALIASES.get(tag, _ALIASES.get(tag.split("-")[0], tag))
        if tag in ours:
            return ours[tag]
        parts = tag.split("-")
        if parts[0] == "zh" and (len(parts) == 1 or parts[1] == "hans" or parts[1].upper() in _HANS_REGIONS):
            tag = "zh-hans"
            if tag in ours:
                return ours[tag]
        # Same primary language: prefer ours with the most subtags in common (``sr-Latn-RS`` → ``sr_Latn``).
        same = [(len(set(parts) & set(key.split("-"))), -len(key), code)
                for key, code in ours.items() if key.split("-")[0] == parts[0]]
        if same:
            return max(same)[2]
    return None


def locale_tag() -> str:
    """The current locale as a BCP 47 tag for ``<html lang>`` and ``Intl`` (``zh_Hans`` → ``zh-Hans``)."""
    return str(get_locale() or "en").replace("_", "-")


def language_names(languages: tuple[str, ...]) -> dict[str, str]:
    """Each language named in itself (``kk`` → ``Қазақ тілі``), for the language menu."""
    names = {}
    for code in languages:
        name = Locale.parse(code).get_display_name(code) or code
        if not unicodedata.name(name[:1], "").startswith("GEORGIAN"):  # Georgian has no capitals in running text
            name = name[:1].upper() + name[1:]
        names[code] = name
    return names


def translations() -> NullTranslations:
    """The current catalogue, resolved once per request and locale.

    Flask-Babel's ``gettext`` resolves its context, the domain, the locale and the locale's name
    on every call (about 25 µs, a dozen times on a verdict page). This keeps the catalogue it
    returned beside Flask-Babel's own per-request state, with the locale it was for: a
    ``force_locale`` block or a ``refresh()`` changes or drops that locale, and the catalogue
    is looked up again.
    """
    try:
        state = g._flask_babel
    except (AttributeError, RuntimeError):  # first call of the request, or no app context
        return get_translations()
    cached = getattr(state, "certreg_translations", None)
    locale = getattr(state, "babel_locale", None)
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    catalogue = get_translations()
    state.certreg_translations = (getattr(state, "babel_locale", None), catalogue)
    return catalogue


def _format(eval_ctx: EvalContext, text: str, variables: dict[str, object]) -> str:
    """As Jinja's newstyle gettext: the catalogue's text is markup (our own, trusted), the variables
    are escaped into it, and it is always a format string (``%%`` for a literal ``%``)."""
    if not variables and "%" not in text:  # what ``text % {}`` gives, without Markup's escaping machinery
        return Markup(text) if eval_ctx.autoescape else text  # noqa: S704 - the message itself, as jinja2.ext
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - the translated message itself, as jinja2.ext does
    return text % variables


@pass_eval_context
def _jinja_gettext(eval_ctx: EvalContext, string: str, /, **variables: object) -> str:
    """``_()`` / ``gettext()`` in templates: Jinja's newstyle gettext over :func:`translations`."""
    text = translations().ugettext(string)
    return _format(eval_ctx, text, variables)


@pass_eval_context
def _jinja_ngettext(eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables: object) -> str:
    variables.setdefault("num", num)
    text = translations().ungettext(singular, plural, num)
    return _format(eval_ctx, text, variables)


@pass_eval_context
def _jinja_pgettext(eval_ctx: EvalContext, context: str, string: str, /, **variables: object) -> str:
    variables.setdefault("context", context)
    text = translations().upgettext(context, string)
    return _format(eval_ctx, text, variables)


@pass_eval_context
def _jinja_npgettext(eval_ctx: EvalContext, context: str, singular: str, plural: str, num: int, /,
                     **variables: object) -> str:
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    text = translations().unpgettext(context, singular, plural, num)
    return _format(eval_ctx, text, variables)


def format_date(value: date | None = None, format: str | None = None, rebase: bool = True) -> str:
    """Flask-Babel's ``format_date`` (the ``dateformat`` filter), remembered per day, format and
    locale for a plain date: a day involves no time zone, and formatting one costs Babel ~40 µs."""
    if type(value) is date:
        return _format_day(value, format, get_locale())
    return flask_babel.format_date(value, format, rebase)


@functools.lru_cache(maxsize=4096)
def _format_day(day: date, format: str | None, locale: Locale | None) -> str:
    return flask_babel.format_date(day, format)  # in ``locale``, the current one


def country_name(code: str | None) -> str:
    """The country's name in the current language (from the CLDR data shipped with Babel)."""
    if not code:
        return ""
    locale = get_locale() or Locale("en")
    return locale.territories.get(code.upper(), code.upper())


@bp.get("/language/<code>")
def switch(code: str):
    """Remember the chosen language in a cookie and go back to where the user was.

    :raise 404: for a language certreg does not speak.
    """
    if code not in served_languages():
        raise NotFound()
    target = request.args.get("next")
    response = redirect(target if is_safe_next(target) else url_for("auth.home"))
    response.set_cookie(
        LANG_COOKIE,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
    )
    remember = current_app.extensions.get(REMEMBER_LANGUAGE)
    if remember is not None and current_user.is_authenticated and current_user.locale != code:
        remember(current_user, code)
        db.session.commit()
    return response


#: ``app.extensions`` key of the function that keeps a signed-in user's chosen language in their account
#: (``(user, code) -> None``, flushing): the accounts feature gives it (``init_app(remember_language=...)``),
#: so that this module, below every feature, does not import one.
REMEMBER_LANGUAGE = "certreg.remember_language"


def init_app(app: Flask, remember_language: Callable[[object, str], None] | None = None) -> None:
    app.extensions[REMEMBER_LANGUAGE] = remember_language
    if isinstance(app, Certreg):
        app.lean_cookies.add(LANG_COOKIE)  # it only chooses the language, which a lean request does too
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", ";".join(translation_directories()))
    babel.init_app(app, locale_selector=lambda: _locale(select_locale()))
    # Flask-Babel installs Jinja's newstyle callables over its per-call lookup; the same
    # behaviour over the catalogue resolved once per request (see translations()).
    app.jinja_env.globals.update(_=_jinja_gettext, gettext=_jinja_gettext, ngettext=_jinja_ngettext,
                                 pgettext=_jinja_pgettext, npgettext=_jinja_npgettext)
    app.jinja_env.filters["dateformat"] = format_date
    app.jinja_env.globals["country_name"] = country_name
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["locale_tag"] = locale_tag
    complete = language_names(tuple(app.config["LANGUAGES"]))
    everything = language_names(tuple(app.config["LANGUAGES"]) + tuple(app.config.get("PUBLIC_LANGUAGES", ())))
    app.jinja_env.globals["language_menu"] = lambda: {c: everything[c] for c in served_languages()}
    app.jinja_env.globals["language_names"] = complete
    app.register_blueprint(bp)
