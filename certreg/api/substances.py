"""``/api/v1/substances``: the controlled-substance catalogue (public)."""

from __future__ import annotations

from typing import Any

from flask import request

from certreg.api import bp
from certreg.api.common import done
from certreg.substances import services
from certreg.substances.models import Substance


def number(value) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def substance_json(s: Substance) -> dict[str, Any]:
    return {
        "code": s.code,
        "is_blend": s.is_blend,
        "name": s.name,
        "ashrae": s.ashrae,
        "formula": s.formula,
        "annex": s.annex,
        "group": s.group,
        "annexes": sorted(s.annex_set),
        "controlled": s.controlled,
        "odp": number(s.odp),
        "gwp": number(s.gwp),
        "annex_f_gwp": number(s.annex_f_gwp),
        "hs_code": s.hs_code,
        "aliases": s.alias_list,
        "components": [{"code": c.component_code, "mass_fraction": number(c.mass_fraction)} for c in s.components],
    }


@bp.get("/substances")
def list_substances():
    """Search by any name (``q``), or the whole catalogue."""
    q = request.args.get("q", "")
    services.check_query(q)
    items = services.search(q) if q else services.all_substances()
    return done({"items": [substance_json(s) for s in items]})


@bp.get("/substances/<path:code>")
def get_substance(code: str):
    return done(substance_json(services.get(code)))
