"""The two installations of the federation tests (a fresh pair for each test module)."""

from __future__ import annotations

import pytest

from certreg.actors import Actor
from certreg.extensions import db
from certreg.federation import peers
from certreg.vocabulary import Role
from tests.factories import make_certificate, make_technician, make_user
from tests.federation.installations import Installation, TamperProxy
from tests.live import free_port

SYSTEM = Actor.system("test")


@pytest.fixture(scope="module")
def world():
    proxy_port = free_port()
    kg = Installation("kg", "KG", announce_port=proxy_port)
    kz = Installation("kz", "KZ")
    proxy = TamperProxy(kg.url, proxy_port)
    for served in (kg, kz, proxy):
        served.start()
    data = {"kg": kg, "kz": kz, "proxy": proxy}
    with kg.ctx():
        data["valid"] = make_certificate(make_technician(full_name_latin="Asanov Nurlan")).token
        doomed = make_certificate(make_technician(full_name_latin="Osmonov Bolot"))
        data["doomed"], data["doomed_number"] = doomed.token, doomed.number
        peers.add_peer(SYSTEM, name="Kazakhstan", base_url=kz.public_url, fingerprint=kz.fingerprint)
        db.session.commit()
    with kz.ctx():
        inspector = make_user(Role.INSPECTOR, "KZ")
        data["inspector"], data["totp"] = inspector.email, inspector.totp_secret
        peer = peers.add_peer(SYSTEM, name="Kyrgyzstan", base_url=kg.public_url, fingerprint=kg.fingerprint)
        data["kg_peer_id"] = peer.id
        db.session.commit()
    try:
        yield data
    finally:
        for served in (proxy, kz, kg):
            served.close() if isinstance(served, Installation) else served.stop()


