"""The public substance catalogue: search by any name."""

from __future__ import annotations

from flask import Blueprint, render_template

from certreg.substances import services
from certreg.substances.names import display_name
from certreg.web import args_str

bp = Blueprint("substances", __name__)
# ``{{ substance.name|substance_name }}``: the stored English name in the reader's language.
bp.add_app_template_filter(display_name, "substance_name")


@bp.get("/substances")
def index():
    """Search the catalogue (public): code, ASHRAE number, trade name, formula or CAS number."""
    q = args_str("q", max_length=64)
    results = services.search(q) if q else services.all_substances()
    return render_template("substances/index.html", q=q, results=results)
