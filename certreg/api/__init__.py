"""The JSON API, ``/api/v1``: thin adapters over the same services as the web pages.

Authentication is by ``Authorization: Bearer <token>`` only (never the session
cookie, so no CSRF is possible); public endpoints need none.
"""

from __future__ import annotations

from flask import Blueprint, g, request

from certreg.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.before_request
def load_token_user() -> None:
    from certreg.auth.services import user_for_api_token

    g.api_user = None
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        g.api_user = user_for_api_token(credentials.strip())
        g.api_token_given = True
    else:
        g.api_token_given = False


from certreg.api import audit, certificates, countries, docs, licences, logbook, registry, reports, substances  # noqa: E402,F401  (routes register on import)  # noqa: E402,F401
