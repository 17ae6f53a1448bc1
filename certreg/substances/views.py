"""The public substance catalogue: search by any name."""

from __future__ import annotations

from flask import Blueprint, render_template

from certreg.substances import services
from certreg.web import args_str

bp = Blueprint("substances", __name__)


@bp.get("/substances")
def index():
    """Search the catalogue (public): code, ASHRAE number, trade name, formula or CAS number."""
    q = args_str("q", max_length=64)
    results = services.search(q) if q else services.all_substances()
    return render_template("substances/index.html", q=q, results=results)
