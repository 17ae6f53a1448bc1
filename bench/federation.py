#!/usr/bin/env python3
"""Federation sync at scale: a peer's 100,000-certificate and 100,000-label status lists.

Two installations run in this process, each the real app with its own SQLite database, keys and
port (Werkzeug's threaded server, like ``tests/federation``): the **peer** publishes, the **local**
one syncs (``certreg.federation.syncing.sync_all``). Besides its real documents the peer publishes
two status documents of ``--entries`` entries each, one for certificates and one for labels, with
``--revoked`` of the entries revoked at random (seeded): what a country with that many certificates
and cylinder labels publishes, signed by its country key and wrapped in its signed federation
document (``certreg.federation.publishing.register_status_list``).

1. **Full sync vs a static download.** Each round the local copies are deleted and a full sync
   runs (a conditional GET per document, every answer verified: federation signature, sequence,
   each status list's country signature, then stored); then the same bytes, one file per document,
   are downloaded from the same server as static files (``send_file``). Medians over ``--repeat``
   rounds, interleaved; prints ``ratio=<sync/static>`` (goal <= 3).
2. **A sync with nothing changed** counts the peer's requests: one conditional request per
   document, each answered ``304`` (prints ``requests=`` and ``documents=``; they must be equal).

    python bench/federation.py                 # 100,000 entries, 5 rounds
    python bench/federation.py --smoke         # tiny (bench/smoke.py)
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--revoked", type=float, default=0.05, help="share of entries revoked")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one round")
    args = parser.parse_args()
    if args.smoke:
        args.entries, args.repeat = 1000, 1

    import sqlalchemy as sa
    from flask import request, send_file
    from werkzeug.serving import make_server

    from certreg import create_app
    from certreg.actors import Actor
    from certreg.extensions import db
    from certreg.federation import identity, peers, publishing, syncing
    from certreg.federation.models import PeerDocument
    from certreg.keys import services as keys
    from certreg.tokens import status_list as statuslist

    work = Path(tempfile.mkdtemp(prefix="certreg-bench-federation-"))
    system = Actor.system("bench")

    def free_port() -> int:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    def installation(label: str, country: str):
        port = free_port()
        app = create_app({"CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work}/{label}.sqlite3",
                          "SIGNING_KEYS_DIR": str(work / f"keys-{label}"),
                          "FEDERATION_BASE_URL": f"http://127.0.0.1:{port}", "STATUS_LIST_CACHE_SECONDS": 3600})
        from flask_migrate import upgrade

        with app.app_context():
            upgrade()
            keys.ensure(system, [country])
            identity.ensure_key(system)
            db.session.commit()
        return app, port

    peer_app, peer_port = installation("peer", "KG")
    local_app, _local_port = installation("local", "KZ")
    rng = random.Random(15)

    def big_document(typ: str) -> dict:
        statuses = {i: statuslist.STATUS_INVALID for i in range(args.entries) if rng.random() < args.revoked}
        lst = statuslist.build_status_list(statuses, args.entries)
        key = keys.active_key("KG")
        token = statuslist.encode_status_list_token("KG", lst, key.private_key, issued_at=int(time.time()),
                                                    typ=typ)
        return {"status_lists": {"KG": token}}

    with peer_app.app_context():
        built = {"bench-certificates": big_document(statuslist.STATUS_LIST_TYP),
                 "bench-labels": big_document("certreg-label-statuslist+cwt")}
    publishing.register_status_list("bench-certificates", lambda: built["bench-certificates"],
                                    statuslist.STATUS_LIST_TYP)
    publishing.register_status_list("bench-labels", lambda: built["bench-labels"], "certreg-label-statuslist+cwt")

    counted = {"requests": 0, "not_modified": 0}
    static_dir = work / "static"
    static_dir.mkdir()

    @peer_app.before_request
    def count():
        if request.path.startswith("/.well-known/certreg/"):
            counted["requests"] += 1

    @peer_app.after_request
    def count_304(response):
        if response.status_code == 304:
            counted["not_modified"] += 1
        return response

    peer_app.add_url_rule("/bench-static/<int:n>", "bench_static",
                          lambda n: send_file(static_dir / f"{n}.cose", mimetype="application/cose"))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", peer_port, peer_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    peer_url = f"http://127.0.0.1:{peer_port}"
    with peer_app.app_context():
        fingerprint = identity.fingerprint()
        names = [kind.name for kind in publishing.kinds()]
        sizes = []
        for n, name in enumerate(names):
            body = publishing.current(name).signed
            (static_dir / f"{n}.cose").write_bytes(body)
            sizes.append(len(body))
        db.session.commit()
    with local_app.app_context():
        peers.add_peer(system, name="KG", base_url=peer_url, fingerprint=fingerprint)
        db.session.commit()

    def full_sync() -> float:
        with local_app.app_context():
            db.session.execute(sa.delete(PeerDocument))
            db.session.commit()
            start = time.perf_counter()
            result = syncing.sync_all(system)[0]
            db.session.commit()
            took = time.perf_counter() - start
            if set(result.results.values()) != {"new"}:
                raise SystemExit(f"sync failed: {result.results}")
            db.session.remove()
        return took

    def static() -> float:
        start = time.perf_counter()
        for n in range(len(names)):
            with urllib.request.urlopen(f"{peer_url}/bench-static/{n}", timeout=30) as response:  # noqa: S310
                response.read()
        return time.perf_counter() - start

    full_sync()  # warm-up (and the peer's first publication of each kind)
    static()
    syncs, statics = [], []
    for _ in range(args.repeat):
        syncs.append(full_sync())
        statics.append(static())
    sync_s, static_s = statistics.median(syncs), statistics.median(statics)
    print(f"entries={args.entries} documents={len(names)} bytes={sum(sizes)} "
          f"sync_ms={sync_s * 1000:.1f} static_ms={static_s * 1000:.1f} ratio={sync_s / static_s:.2f} (goal <= 3)")

    counted.update(requests=0, not_modified=0)
    with local_app.app_context():
        result = syncing.sync_all(system)[0]
        db.session.commit()
    print(f"no-change sync: requests={counted['requests']} not_modified={counted['not_modified']} "
          f"documents={len(names)} results={sorted(set(result.results.values()))}")
    server.shutdown()
    ok = counted["requests"] == len(names) == counted["not_modified"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
