"""The per-request machinery every page shares (certreg/application.py, certreg/security.py): what it
still guarantees after being made cheaper for the public scans (docs/benchmarks.md)."""

from __future__ import annotations

import gc

from flask import after_this_request

from certreg import create_app
from tests.factories import make_user


def _fresh_app(tmp_path):
    """An app that has served nothing yet, so a test may add a route (no database needed)."""
    return create_app({"CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/unused.sqlite3"})


def test_pages_get_security_headers_and_no_store(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers.getlist("X-Frame-Options") == ["DENY"]  # added once


def test_static_files_keep_their_own_cache_control(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_view_that_sets_a_security_header_keeps_its_own(tmp_path):
    app = _fresh_app(tmp_path)
    client = app.test_client()
    @app.get("/_test/own-header")
    def own_header():
        return "ok", 200, {"X-Frame-Options": "SAMEORIGIN", "Cache-Control": "max-age=60"}

    response = client.get("/_test/own-header")
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers.getlist("Cache-Control") == ["max-age=60"]
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_error_pages_get_the_headers_too(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_ensure_sync_kept_per_function_but_not_for_functions_made_per_request(tmp_path):
    app = _fresh_app(tmp_path)
    client = app.test_client()
    calls = []

    @app.get("/_test/after")
    def after():
        @after_this_request
        def mark(response):
            calls.append(response.status_code)
            return response

        return "ok"

    view = app.view_functions["after"]
    assert app.ensure_sync(view) is app.ensure_sync(view)
    assert client.get("/_test/after").status_code == 200  # every hook and the view now kept
    gc.collect()
    kept = len(app._sync_callables)  # noqa: SLF001 - the cache under test
    assert kept >= 5
    for _ in range(3):
        assert client.get("/_test/after").status_code == 200
    gc.collect()
    assert calls == [200, 200, 200, 200]
    assert len(app._sync_callables) == kept  # noqa: SLF001 - the per-request hooks went with their requests


def test_csrf_still_refuses_a_post_without_token_and_get_is_not_checked(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user()
    assert client.get("/login").status_code == 200
    response = client.post("/login", data={"email": user.email, "password": "x"})
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)


def test_the_served_app_is_frozen_out_of_the_garbage_collectors_passes(tmp_path):
    """app.py (what gunicorn and flask load) freezes what exists once the app is made, so that a worker's
    full collections do not walk it (~150 ms each before, docs/benchmarks.md "Session 9")."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    script = ("import gc; before = gc.get_freeze_count(); import app; "
              "print(before, gc.get_freeze_count(), any(o is app.app for o in gc.get_objects()))")
    env = {"PATH": "/usr/bin:/bin", "CERTREG_CONFIG": "testing", "CERTREG_INSTANCE_PATH": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path}/unused.sqlite3", "SIGNING_KEYS_DIR": str(tmp_path / "keys")}
    out = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    before, after, app_still_walked = int(out[0]), int(out[1]), out[2] == "True"
    assert before == 0 and after > 10_000  # the modules, the app, its routes, the metadata
    assert not app_still_walked  # the app itself is among the frozen objects
