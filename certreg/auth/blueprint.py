"""The ``auth`` blueprint: the page modules of the feature register their routes on it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__)
