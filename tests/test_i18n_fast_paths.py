"""The template gettext over the catalogue kept per request (certreg.i18n.translations) and the cached
``dateformat``: the same text as Flask-Babel's own calls, in every case that changes the language."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime

import flask_babel
from flask import render_template_string

from certreg import i18n


@contextmanager
def _in(app, language: str):
    # The tests share one app context (and its g) across request contexts: start each language afresh.
    with app.test_request_context("/", headers={"Accept-Language": language}):
        flask_babel.refresh()
        yield


def test_template_gettext_is_flask_babels_text(app):
    for language in ("en", "ru"):
        with _in(app, language):
            rendered = render_template_string('{{ _("Certificate check") }}|{{ gettext("Checking…") }}')
            assert rendered == f'{flask_babel.gettext("Certificate check")}|{flask_babel.gettext("Checking…")}'
    with _in(app, "ru"):
        assert render_template_string('{{ _("Certificate check") }}') != "Certificate check"  # translated


def test_template_gettext_escapes_variables_and_keeps_percent_semantics(app):
    with _in(app, "en"):
        assert render_template_string(
            '{{ _("from %(start)s to %(end)s", start=a, end="x") }}', a="<b>") == "from &lt;b&gt; to x"
        assert render_template_string('{{ _("100%% sure") }}') == "100% sure"  # always a format string
        assert render_template_string('{{ ngettext("%(num)s result", "%(num)s results", 3) }}') == "3 results"
        assert render_template_string('{{ ngettext("%(num)s result", "%(num)s results", 1) }}') == "1 result"
        assert render_template_string('{{ pgettext("ctx", "%(context)s!") }}') == "ctx!"


def test_template_gettext_follows_force_locale_and_refresh(app):
    template = '{{ _("Certificate check") }}'
    with _in(app, "ru"):
        russian = render_template_string(template)
        with flask_babel.force_locale("en"):
            assert render_template_string(template) == "Certificate check"
        assert render_template_string(template) == russian
        babel = flask_babel.get_babel()
        original, babel.locale_selector = babel.locale_selector, lambda: "en"
        try:
            flask_babel.refresh()  # the language changes within the request
            assert render_template_string(template) == "Certificate check"
        finally:
            babel.locale_selector = original


def test_dateformat_of_a_day_is_flask_babels_in_each_language(app):
    day, moment = date(2026, 3, 9), datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    for language in ("en", "ru"):
        with _in(app, language):
            for fmt in ("medium", "short", None):
                assert i18n.format_date(day, fmt) == flask_babel.format_date(day, fmt)
                assert render_template_string("{{ d|dateformat('medium') }}", d=day) == \
                    flask_babel.format_date(day, "medium")
            assert i18n.format_date(moment, "medium") == flask_babel.format_date(moment, "medium")
    with _in(app, "en"):
        english = i18n.format_date(day, "long")
    with _in(app, "ru"):
        assert i18n.format_date(day, "long") != english  # the cache is per language
