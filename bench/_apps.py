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

    app = certreg()

    @app.get("/bench-hello/<path:path>")
    def bench_hello(path: str):
        return jsonify(hello="world")

    return app


def certreg():
    """The app as gunicorn serves it: ``app:app`` (app.py, with what it does once the app is made)."""
    from app import app

    return app


def certreg_reads():
    """What a scan or a check reads, alone: :func:`certreg_hello` with the live reads of one request and nothing
    else (no signature check, no rule, no page), each route answering the hello's JSON:

    * ``/bench-status/<number>``: the certificate's status row, as ``/v/`` reads it on every scan;
    * ``/bench-cylinder/<serial>``: a cylinder's page row, as ``/c/`` reads it on every scan;
    * ``/bench-register/<number>``: a KZ licence's register row, as ``/l/`` reads it on every check;
    * ``/bench-token/<x>``: the API token's user (``BENCH_AUTHORIZATION``), as every API request reads it;
    * ``/bench-facts/<shipment id>``: the border check's facts, one statement;
    * ``/bench-reads/<shipment id>``: the token's user and the facts: all a border check reads.

    Each reads as the product does (the same statements, on connections kept for them, in autocommit). A page
    that must read these live costs at least its route here: the floor of its ratio to the hello."""
    import os

    from flask import jsonify

    from certreg.auth.services import user_for_api_token
    from certreg.autocommit_query import AutocommitQuery
    from certreg.certificates.verification import STATUS_QUERY
    from certreg.cylinders.scanning import PAGE_ROW
    from certreg.db import today
    from certreg.extensions import db
    from certreg.licences.checking import REGISTER_QUERY
    from certreg.shipments import facts

    app = certreg()
    status, register, cylinder = (AutocommitQuery(STATUS_QUERY), AutocommitQuery(REGISTER_QUERY),
                                  AutocommitQuery(PAGE_ROW))
    token = os.environ.get("BENCH_AUTHORIZATION", "Bearer -").partition(" ")[2]

    def read_facts(shipment_id: int) -> None:
        if facts.read(shipment_id, today().year, autocommit=True) is None:
            raise LookupError(shipment_id)  # a floor that read nothing would flatter itself

    @app.get("/bench-status/<number>")
    def bench_status(number: str):
        if status.first(db.engine, number=number) is None:
            raise LookupError(number)
        return jsonify(hello="world")

    @app.get("/bench-cylinder/<serial>")
    def bench_cylinder(serial: str):
        if cylinder.first(db.engine, serial=serial) is None:
            raise LookupError(serial)
        return jsonify(hello="world")

    @app.get("/bench-register/<number>")
    def bench_register(number: str):
        if register.first(db.engine, country="KZ", number=number) is None:
            raise LookupError(number)
        return jsonify(hello="world")

    @app.get("/bench-token/<path:path>")
    def bench_token(path: str):
        if user_for_api_token(token) is None:
            raise LookupError("token")
        return jsonify(hello="world")

    @app.get("/bench-facts/<int:shipment_id>")
    def bench_facts(shipment_id: int):
        read_facts(shipment_id)
        return jsonify(hello="world")

    @app.get("/bench-reads/<int:shipment_id>")
    def bench_reads(shipment_id: int):
        if user_for_api_token(token) is None:
            raise LookupError("token")
        read_facts(shipment_id)
        return jsonify(hello="world")

    return app
