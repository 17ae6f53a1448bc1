"""WSGI apps for the benchmarks, loaded by gunicorn: ``bench._apps:hello()`` / ``bench._apps:certreg()``."""

from __future__ import annotations


def hello():
    """The baseline: a bare Flask app answering a JSON hello."""
    from flask import Flask, jsonify

    app = Flask("hello")

    @app.get("/")
    def index():
        return jsonify(hello="world")

    return app


def same_bytes():
    """The ceiling of a page: a bare Flask app answering, on any path, the bytes of ``BENCH_PAGE_FILE``
    (a scan page saved from certreg) as HTML. No scan can be cheaper than sending its own bytes."""
    import os

    from flask import Flask, Response

    with open(os.environ["BENCH_PAGE_FILE"], "rb") as page:
        body = page.read()
    app = Flask("same_bytes")

    @app.get("/<path:path>")
    def any_page(path: str):
        return Response(body, mimetype="text/html")

    return app


def certreg_hello():
    """certreg's own floor: the whole app (its extensions, hooks, session, headers) with one more route
    answering the same JSON hello as :func:`hello`, at ``/<anything>``. A scan costs at least this."""
    from flask import jsonify

    from certreg import create_app

    app = create_app()

    @app.get("/bench-hello/<path:path>")
    def bench_hello(path: str):
        return jsonify(hello="world")

    return app


def certreg():
    from certreg import create_app

    return create_app()
