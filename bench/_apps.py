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


def certreg():
    from certreg import create_app

    return create_app()
