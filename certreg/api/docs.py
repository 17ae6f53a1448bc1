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
    _declare_input_refusals(spec)
    return spec


#: What the checks of :mod:`certreg.inputs` answer, for every route, before the route's own code.
_INPUT_REFUSALS = {
    "path": ("404", "NotFound"),  # an id beyond its column, a control character in a segment
    "query": ("422", "ValidationFailed"),  # a control character in a parameter (``invalid_characters``)
    "body": ("400", "BadRequest"),  # JSON nested too deep (``malformed_json``)
}


def _declare_input_refusals(spec: dict[str, Any]) -> None:
    """Add the central refusals of bad input to every operation that can meet them (unless it says more)."""
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            places = {parameter.get("in") for parameter in _parameters(spec, [*item.get("parameters", []),
                                                                              *operation.get("parameters", [])])}
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                places.add("body")
            for place in sorted(places & _INPUT_REFUSALS.keys()):
                status, name = _INPUT_REFUSALS[place]
                operation.setdefault("responses", {}).setdefault(status, {"$ref": f"#/components/responses/{name}"})


def _parameters(spec: dict[str, Any], parameters: list[dict[str, Any]]):
    for parameter in parameters:
        if "$ref" in parameter:
            parameter = spec["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        yield parameter


@bp.get("/openapi.json")
def openapi_json():
    response = jsonify(openapi_spec())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
