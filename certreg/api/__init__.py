"""The JSON API, ``/api/v1``: thin adapters over the same services as the web pages.

Authentication is by ``Authorization: Bearer <token>`` only (never the session
cookie, so no CSRF is possible); public endpoints need none.
"""

from __future__ import annotations

from flask import Blueprint, g, request
from flask_babel import gettext as _

from certreg.auth.services import user_for_api_token
from certreg.errors import Forbidden
from certreg.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.before_request
def load_token_user() -> None:
    g.api_user = None
    header = request.headers.get("Authorization", "")
    scheme, _sep, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        g.api_user = user_for_api_token(credentials.strip())
        g.api_token_given = True
        read_only = g.api_user is not None and g.api_user.token_read_only
        if read_only and request.method not in ("GET", "HEAD", "OPTIONS"):
            raise Forbidden(_("This API token is read-only."), code="token_read_only")
    else:
        g.api_token_given = False


from certreg.api import (  # noqa: E402,F401  (routes register on import)
    accounts,
    audit,
    certificates,
    countries,
    cylinders,
    docs,
    federation,
    inspections,
    licences,
    logbook,
    quotas,
    registry,
    reports,
    shipments,
    substances,
)
