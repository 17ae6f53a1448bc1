"""Two (or more) real certreg installations in one test: separate databases, keys and ports.

Each :class:`Installation` is the real application served over HTTP by Werkzeug's server on its
own port (``tests.live.free_port``), with its own database (``tests.dbutil.fresh_database``) and
its own ``SIGNING_KEYS_DIR``. A :class:`TamperProxy` can stand in front of one to play a hostile
network: it forwards everything, and can replace a document with an old or re-signed copy, or
flip a byte of an answer.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from certreg.actors import Actor
from certreg.extensions import db
from certreg.federation import identity
from tests import dbutil
from tests.conftest import make_test_app
from tests.factories import ensure_keys
from tests.live import free_port


class Served:
    """A WSGI app served on a fixed port in a thread; can be stopped and started again."""

    def __init__(self, wsgi, port: int) -> None:
        self.wsgi, self.port, self.server, self.thread = wsgi, port, None, None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self.wsgi, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(10)
            self.server = None


class Installation(Served):
    def __init__(self, label: str, country: str, *, announce_port: int | None = None) -> None:
        port = free_port()
        self.label, self.country = label, country
        self.database_url = dbutil.fresh_database(f"fed_{label}")
        # The address its peers know (a proxy's, when one stands in front of it).
        self.public_url = f"http://127.0.0.1:{announce_port or port}"
        self.app = make_test_app(self.database_url, WTF_CSRF_ENABLED=False,
                                 SIGNING_KEYS_DIR=str(dbutil._TMP / f"keys-{label}"),
                                 FEDERATION_BASE_URL=self.public_url, FEDERATION_TIMEOUT_SECONDS=3)
        dbutil.upgrade(self.app)
        super().__init__(self.app, port)
        with self.ctx():
            ensure_keys(country)
            identity.ensure_key(Actor.system())
            db.session.commit()
            self.fingerprint = identity.fingerprint()

    @contextmanager
    def ctx(self) -> Iterator[None]:
        with self.app.app_context():
            try:
                yield
            finally:
                db.session.remove()

    def close(self) -> None:
        self.stop()
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        dbutil.drop_database(self.database_url)


class TamperProxy(Served):
    """Forwards to ``target``; ``documents[path]`` replaces a GET's body, ``answer`` rewrites answers;
    ``seen[path]`` keeps every body that passed (to replay an old one later)."""

    def __init__(self, target: str, port: int | None = None) -> None:
        self.target = target
        self.documents: dict[str, bytes] = {}
        self.answer: Callable[[bytes], bytes] | None = None
        self.seen: dict[str, list[bytes]] = {}
        super().__init__(self._wsgi, port or free_port())

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        path = request.path
        if request.method == "GET" and path in self.documents:
            return Response(self.documents[path], content_type="application/cose")(environ, start_response)
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("content-type", "if-none-match", "accept")}
        upstream = urllib.request.Request(self.target + request.full_path.rstrip("?"), method=request.method,
                                          data=request.get_data() if request.method == "POST" else None,
                                          headers=headers)
        try:
            with urllib.request.urlopen(upstream, timeout=5) as reply:  # noqa: S310 - a test's own server
                status, body, reply_headers = reply.status, reply.read(), reply.headers
        except urllib.error.HTTPError as exc:
            status, body, reply_headers = exc.code, exc.read(), exc.headers
        except OSError:
            return Response("upstream down", status=502)(environ, start_response)
        if status == 200 and request.method == "GET":
            self.seen.setdefault(path, []).append(body)
        if status == 200 and request.method == "POST" and self.answer is not None:
            body = self.answer(body)
        response = Response(body, status=status, content_type=reply_headers.get("Content-Type"))
        if reply_headers.get("ETag"):
            response.headers["ETag"] = reply_headers["ETag"]
        return response(environ, start_response)
