"""Bounds on what a request may contain, checked once for every route.

Anything outside them is refused before it reaches a service or the database:

- **ids** in paths (the ``int`` and ``bigid`` URL converters) and in parameters
  (:func:`parse_id`) beyond the column's range simply do not exist: 404, never a database error;
- **control characters** (NUL and friends) in any query parameter: 422 ``invalid_characters``
  on the parameter; in a path segment: 404 (:func:`refuse_control_characters`, a
  ``before_request`` hook); in form fields: 422 ``invalid_characters`` on the field
  (:class:`certreg.forms.BaseForm`; tab and line breaks stay allowed in text areas);
- **JSON** nested deeper than :data:`MAX_JSON_DEPTH`: 400 ``malformed_json``, for every JSON
  request body (:func:`refuse_deep_json`) and anything parsed with the app's JSON provider
  (:class:`BoundedJSONProvider`, used by ``request.get_json``);
- **dates** outside :data:`EARLIEST_DATE` .. :data:`LATEST_DATE` (:func:`date_in_range`,
  applied to every form's date fields by :class:`certreg.forms.BaseForm`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from certreg.application import lean_noop
from certreg.errors import CertregError, NotFound, ValidationFailed

#: The largest value of a 4-byte (``INTEGER``) and an 8-byte (``BIGINT``) column.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1

#: How deep a JSON document may nest arrays and objects (certreg's own need no more than 3).
MAX_JSON_DEPTH = 32

#: The dates certreg accepts anywhere (birth dates, operations, report windows, validity).
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2200, 12, 31)

_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: str.isdigit() also accepts "²", which int() refuses


def parse_id(text: str | None, maximum: int = INT32_MAX) -> int | None:
    """``text`` as a record id (1 .. ``maximum``, ASCII digits), or ``None`` if it cannot be one."""
    if text is None or not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if 1 <= value <= maximum else None


class _Beyond(int):
    """An id in a path beyond its column's range: :func:`_refuse_beyond` answers 404 before the view runs."""


class IdConverter(IntegerConverter):
    """``<int:...>``: a non-negative integer; one beyond an ``INTEGER`` column's range names nothing (404).

    Not a converter ``ValidationError``: werkzeug then answers 405 when another method's rule has
    the same path.
    """

    max_value = INT32_MAX

    def to_python(self, value: str) -> int:
        if len(value) > 19 or int(value) > self.max_value:  # int() of thousands of digits is refused, and slow
            return _Beyond(0)
        return super().to_python(value)


@lean_noop  # a lean request's values are text (its token)
def _refuse_beyond(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values and any(isinstance(value, _Beyond) for value in values.values()):
        raise NotFound()


class BigIdConverter(IdConverter):
    """``<bigid:...>``: an id of a ``BIGINT`` column (logbook entries)."""

    max_value = INT64_MAX


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@lean_noop  # a lean request: no query, a token of letters and digits
def refuse_control_characters() -> None:
    """``before_request``: refuse control characters (NUL and friends) in the path and the query string.

    Form fields are checked by :class:`certreg.forms.BaseForm` (every page's and the API's
    forms), which shows the refusal on the field and allows tab and line breaks in text areas.

    :raise NotFound: in a path segment (such a path names nothing).
    :raise ValidationFailed 422 ``invalid_characters``: in a query parameter (named in ``fields``).
    """
    environ = request.environ
    # PATH_INFO is ``request.path`` before decoding: control characters are ASCII, the same in both.
    if _CONTROL.search(environ.get("PATH_INFO", "")):
        raise NotFound()
    if not environ.get("QUERY_STRING"):
        return  # no query: nothing to parse (most requests, every scan)
    for key, value in request.args.items(multi=True):
        if _CONTROL.search(key) or _CONTROL.search(value):
            name = key if not _CONTROL.search(key) else "query"
            raise ValidationFailed.for_field(
                name, _("Contains characters that are not allowed (control characters)."), "invalid_characters")


#: A JSON string (skipped whole; an unterminated one runs to the end, so no input makes this quadratic)
#: or a bracket.
_JSON_STRUCTURE = re.compile(rb'"(?:[^"\\]|\\.|\\\Z)*+(?:"|\Z)|[\[\]{}]', re.DOTALL)


def json_too_deep(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``text`` nests arrays or objects more than ``limit`` deep (brackets in strings ignored).

    A linear scan, so a hostile body costs no more than reading it; valid or not is for the parser.
    """
    data = text.encode() if isinstance(text, str) else bytes(text)
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    depth = 0
    for token in _JSON_STRUCTURE.finditer(data):
        char = token.group()
        if char in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif char in (b"]", b"}"):
            depth -= 1
    return False


class MalformedJSON(CertregError):
    """400 ``malformed_json``: the JSON nests too deep to be parsed safely.

    Not a ``ValueError``, so ``request.get_json(silent=True)`` lets it through to the error handlers.
    """

    code = "malformed_json"


class BoundedJSONProvider(DefaultJSONProvider):
    """The app's JSON: refuses documents nested deeper than :data:`MAX_JSON_DEPTH` before parsing."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if json_too_deep(s):
            raise MalformedJSON(_("The JSON body nests arrays or objects too deeply."))
        return super().loads(s, **kwargs)


@lean_noop  # a lean request has no body
def refuse_deep_json() -> None:
    """``before_request``: a JSON body nested too deep is refused whatever the route does with it.

    :raise MalformedJSON: 400 ``malformed_json``.
    """
    if "json" not in request.environ.get("CONTENT_TYPE", ""):
        return  # not JSON (every GET): known without parsing the content type
    if request.is_json and request.content_length != 0 and json_too_deep(request.get_data(cache=True)):
        raise MalformedJSON(_("The JSON body nests arrays or objects too deeply."))


def date_in_range(value: date | None) -> bool:
    return value is None or EARLIEST_DATE <= value <= LATEST_DATE


def date_window_message() -> str:
    return _("Enter a date from %(first)s to %(last)s.", first=EARLIEST_DATE.isoformat(), last=LATEST_DATE.isoformat())


def date_out_of_range(field: str) -> ValidationFailed:
    """422 ``out_of_range`` on ``field``: a date outside :data:`EARLIEST_DATE` .. :data:`LATEST_DATE`."""
    return ValidationFailed.for_field(field, date_window_message(), "out_of_range")


def init_app(app: Flask) -> None:
    """Install the bounded converters and JSON parser (before any route is added), and the character check."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["bigid"] = BigIdConverter
    app.json_provider_class = BoundedJSONProvider
    app.json = BoundedJSONProvider(app)
    app.url_value_preprocessor(_refuse_beyond)
    app.before_request(refuse_control_characters)
    app.before_request(refuse_deep_json)
