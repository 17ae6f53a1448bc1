"""The OpenAPI document, assembled from ``certreg/api/openapi/*.yaml`` and served as JSON.

``base.yaml`` holds the info, security schemes and shared schemas; each feature's file
adds its paths and schemas. Tests check that every ``/api/v1`` route is documented,
that nothing documented is missing, and validate real responses against the schemas.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from flask import jsonify

from certreg.api import bp

SPEC_DIR = Path(__file__).resolve().parent / "openapi"


@cache
def openapi_spec() -> dict[str, Any]:
    spec = yaml.safe_load((SPEC_DIR / "base.yaml").read_text(encoding="utf-8"))
    for path in sorted(SPEC_DIR.glob("*.yaml")):
        if path.name == "base.yaml":
            continue
        part = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for url, item in (part.get("paths") or {}).items():
            if url in spec["paths"]:
                raise ValueError(f"{path.name}: path {url} is already documented")
            spec["paths"][url] = item
        for kind, items in (part.get("components") or {}).items():
            target = spec.setdefault("components", {}).setdefault(kind, {})
            for name, value in items.items():
                if name in target:
                    raise ValueError(f"{path.name}: components.{kind}.{name} is already defined")
                target[name] = value
        spec.setdefault("tags", []).extend(part.get("tags") or [])
    return spec


@bp.get("/openapi.json")
def openapi_json():
    response = jsonify(openapi_spec())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
