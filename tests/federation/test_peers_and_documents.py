"""Peering rules, the published documents' sequence numbers, the wire format's refusals, and the
pages and commands of the federation (one installation, in the test's rolled-back transaction)."""

from __future__ import annotations

import os
import time

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.audit.models import AuditEntry
from certreg.certificates import lifecycle
from certreg.errors import Forbidden, InvalidState, ValidationFailed
from certreg.extensions import db
from certreg.federation import handlers, identity, peers, publishing, wire
from certreg.federation.models import Peer, PeerDocument, PeerStatus
from certreg.keys import services as keys
from certreg.tokens import keys as signing_keys
from certreg.vocabulary import Role
from tests.conftest import login, post_form
from tests.cylinders.builders import make_cylinder
from tests.factories import ensure_keys, make_certificate, make_user

SYSTEM = Actor.system("test")
PIN = "0123456789abcdef" * 4


def _codes(exc: ValidationFailed) -> dict[str, str]:
    return {field: errors[0].code for field, errors in exc.fields.items()}


def test_add_peer_checks_address_and_fingerprint_and_is_audited(app):
    identity.ensure_key(SYSTEM)
    with pytest.raises(ValidationFailed) as bad_url:
        peers.add_peer(SYSTEM, name="KZ", base_url="ftp://kz.example", fingerprint=PIN)
    assert _codes(bad_url.value) == {"base_url": "bad_base_url"}
    with pytest.raises(ValidationFailed) as bad_pin:
        peers.add_peer(SYSTEM, name="KZ", base_url="https://kz.example", fingerprint="12 34")
    assert _codes(bad_pin.value) == {"fingerprint": "bad_fingerprint"}
    with pytest.raises(ValidationFailed) as own:
        peers.add_peer(SYSTEM, name="Me", base_url=app.config["PUBLIC_BASE_URL"] + "/", fingerprint=PIN)
    assert _codes(own.value) == {"base_url": "own_address"}
    spaced = " ".join(PIN[i:i + 4].upper() for i in range(0, 64, 4))  # as read from a letter
    peer = peers.add_peer(SYSTEM, name="Kazakhstan", base_url="https://KZ.example/certreg/", fingerprint=spaced)
    assert (peer.base_url, peer.fingerprint, peer.status) == ("https://kz.example/certreg", PIN, PeerStatus.ACTIVE)
    with pytest.raises(ValidationFailed) as twice:
        peers.add_peer(SYSTEM, name="again", base_url="https://kz.example/certreg", fingerprint=PIN)
    assert _codes(twice.value) == {"base_url": "peer_exists"}
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "federation_peer.add"))
    assert entry.after == {"base_url": "https://kz.example/certreg", "fingerprint": PIN}


def test_only_administrators_manage_peers(app):
    officer = Actor.of(make_user(Role.CERTIFYING_OFFICER, "KG"))
    with pytest.raises(Forbidden):
        peers.add_peer(officer, name="KZ", base_url="https://kz.example", fingerprint=PIN)
    admin = Actor.of(make_user(Role.ADMIN, "KG"))
    assert peers.add_peer(admin, name="KZ", base_url="https://kz.example", fingerprint=PIN).id


def test_suspend_resume_remove(app):
    peer = peers.add_peer(SYSTEM, name="KZ", base_url="https://kz.example", fingerprint=PIN)
    db.session.add(PeerDocument(peer_id=peer.id, kind="trust-list", sequence=3, issued_at=db.func.now(),
                                body={"keys": []}, fetched_at=db.func.now(), checked_at=db.func.now()))
    db.session.flush()
    peers.suspend_peer(SYSTEM, peer.id)
    with pytest.raises(InvalidState):
        peers.suspend_peer(SYSTEM, peer.id)
    peers.resume_peer(SYSTEM, peer.id)
    peers.remove_peer(SYSTEM, peer.id)
    assert db.session.get(Peer, peer.id).status is PeerStatus.REMOVED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PeerDocument)) == 0
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("federation_peer.%"))
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["federation_peer.add", "federation_peer.suspend", "federation_peer.resume",
                       "federation_peer.remove"]
    # A removed peer can be added again (with a new pin).
    again = peers.add_peer(SYSTEM, name="KZ", base_url="https://kz.example", fingerprint="f" * 64)
    assert again.id == peer.id and again.status is PeerStatus.ACTIVE and again.fingerprint == "f" * 64


def test_a_document_keeps_its_sequence_until_its_content_changes(app):
    ensure_keys("KG")
    identity.ensure_key(SYSTEM)
    cert = make_certificate()
    first = publishing.current("status/certificates")
    sequence, signed = first.sequence, first.signed
    again = publishing.current("status/certificates")  # statuses unchanged, lists re-signed: same document
    assert (again.sequence, again.signed) == (sequence, signed)
    lifecycle.revoke(SYSTEM, cert, "Forged training record")
    changed = publishing.current("status/certificates")
    assert changed.sequence == sequence + 1
    document = wire.read_document(changed.signed, identity.fingerprint(), kind="status/certificates")
    assert document.sequence == sequence + 1 and set(document.body["status_lists"]) >= {"KG"}
    assert publishing.etag(changed) == f'"status/certificates.{sequence + 1}"'


def test_the_wire_format_refuses_what_it_must():
    key, other = signing_keys.generate_key(), signing_keys.generate_key()
    pin = wire.fingerprint(key.public_key())
    raw = wire.sign_document(key, kind="trust-list", sequence=7, issued_at=int(time.time()),
                             issuer="https://kg.example", body={"keys": []})
    assert wire.read_document(raw, pin, kind="trust-list").sequence == 7
    with pytest.raises(wire.Refused) as unpinned:
        wire.read_document(raw, wire.fingerprint(other.public_key()), kind="trust-list")
    assert unpinned.value.code == "unpinned-key"
    with pytest.raises(wire.Refused) as kind:
        wire.read_document(raw, pin, kind="status/certificates")
    assert kind.value.code == "wrong-kind"
    tampered = bytearray(raw)
    tampered[-70] ^= 0x01  # inside the payload's body
    with pytest.raises(wire.Refused) as bad:
        wire.read_document(bytes(tampered), pin, kind="trust-list")
    assert bad.value.code in ("bad-signature", "malformed")
    with pytest.raises(wire.Refused) as garbage:
        wire.read_document(b"\x00garbage", pin, kind="trust-list")
    assert garbage.value.code == "malformed"
    message = wire.Message(wire.QUESTION, "ping", os.urandom(16), int(time.time()), "https://kz.example",
                           "https://kg.example", {})
    signed = wire.sign_message(key, message)
    assert wire.read_message(signed, lambda sender: pin if sender == "https://kz.example" else None) == message
    with pytest.raises(wire.Refused) as stranger:
        wire.read_message(signed, lambda sender: None)
    assert stranger.value.code == "not-a-peer"


def test_a_suspended_peers_keys_leave_the_verifiers(app, client):
    ensure_keys("KG")
    peer = peers.add_peer(SYSTEM, name="Kazakhstan", base_url="https://kz.example", fingerprint=PIN)
    other_key = signing_keys.generate_key()
    jwk = signing_keys.public_jwk(other_key.public_key(), country="KZ")
    hijack = signing_keys.public_jwk(signing_keys.generate_key().public_key(), country="KG")
    now = db.func.now()
    db.session.add(PeerDocument(peer_id=peer.id, kind="trust-list", sequence=1, issued_at=now,
                                body={"keys": [jwk, hijack]}, fetched_at=now, checked_at=now))
    db.session.flush()
    served = keys.jwks_document()["keys"]
    assert [(k["country"], k.get("origin")) for k in served] == [("KG", None), ("KZ", "Kazakhstan")]
    # (the peer's key "for KG" is never used: KG signs here)
    peers.suspend_peer(SYSTEM, peer.id)
    assert [k["country"] for k in keys.jwks_document()["keys"]] == ["KG"]


def test_the_questions_answered_here(app):
    ensure_keys("KG")
    cert = make_certificate()
    peer = peers.add_peer(SYSTEM, name="KZ", base_url="https://kz.example", fingerprint=PIN)
    assert handlers.ping(peer, {}) == {"pong": True}
    answer = handlers.certificate_status(peer, {"number": cert.number})
    assert answer["found"] and answer["status"] == "valid" and answer["number"] == cert.number
    assert handlers.certificate_status(peer, {"number": "KG-T-2026-999999-0"}) == {"found": False}
    with pytest.raises(handlers.QuestionRefused):
        handlers.certificate_status(peer, {"number": 12})
    assert handlers.cylinder(peer, {"serial": "KG-C-000000-0"}) == {"found": False}
    cylinder = make_cylinder()
    found = handlers.cylinder(peer, {"serial": cylinder.serial})
    assert found["found"] and found["serial"] == cylinder.serial and found["status"] == cylinder.status.value
    assert "owner" not in str(found)  # public fields only


def test_the_administrators_page_adds_and_suspends_a_peer(app, client):
    identity.ensure_key(SYSTEM)
    admin = make_user(Role.ADMIN, "KG")
    login(client, admin)
    page = client.get("/federation/peers")
    assert page.status_code == 200 and wire.grouped(identity.fingerprint()) in page.get_data(as_text=True)
    refused = post_form(client, "/federation/peers", {"base_url": "https://kz.example", "fingerprint": "nope"})
    assert refused.status_code == 422 and "64 hexadecimal digits" in refused.get_data(as_text=True)
    added = post_form(client, "/federation/peers", {"name": "Kazakhstan", "base_url": "https://kz.example",
                                                    "fingerprint": PIN})
    assert added.status_code == 302
    peer = db.session.scalar(sa.select(Peer).where(Peer.base_url == "https://kz.example"))
    assert post_form(client, f"/federation/peers/{peer.id}/suspend", page="/federation/peers").status_code == 302
    assert db.session.get(Peer, peer.id).status is PeerStatus.SUSPENDED
    assert "Kazakhstan" in client.get("/federation/peers").get_data(as_text=True)


def test_the_command_line(app):
    ensure_keys("KG")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["federation", "key"])
    assert result.exit_code == 0 and wire.grouped(identity.fingerprint()) in result.output
    result = runner.invoke(args=["federation", "peer", "add", "--url", "http://127.0.0.1:9", "--fingerprint", PIN,
                                 "--name", "Nowhere"])
    assert result.exit_code == 0, result.output
    assert "Nowhere" in runner.invoke(args=["federation", "peer", "list"]).output
    result = runner.invoke(args=["federation", "sync"])
    assert result.exit_code == 1 and "trust-list=no answer" in result.output
    result = runner.invoke(args=["federation", "ask", "Nowhere", "ping"])
    assert result.exit_code == 1 and "No answer from Nowhere (it has never answered)." in result.output
    result = runner.invoke(args=["federation", "peer", "suspend", "Nowhere"])
    assert result.exit_code == 0 and "suspended" in result.output
    result = runner.invoke(args=["federation", "peer", "add", "--url", "gopher://x", "--fingerprint", PIN])
    assert result.exit_code == 1 and "bad_base_url" in result.output


def test_an_inspector_asks_a_peer_that_does_not_answer_and_gets_a_clear_message(app, client):
    identity.ensure_key(SYSTEM)
    peer = peers.add_peer(SYSTEM, name="Nowhere", base_url="http://127.0.0.1:9", fingerprint=PIN)
    login(client, make_user(Role.INSPECTOR, "KG"))
    page = post_form(client, "/federation/ask", {"peer_id": str(peer.id), "kind": "certificate-status",
                                                 "query": "KZ-T-2026-000001-1"})
    assert page.status_code == 200
    assert "No answer from Nowhere (it has never answered)." in page.get_data(as_text=True)
    refused = post_form(client, "/federation/ask", {"peer_id": str(peer.id), "kind": "cylinder", "query": ""})
    assert refused.status_code == 422 and "Type the certificate number or cylinder serial." in refused.text


def test_a_question_too_large_is_refused_unread(app, client):
    response = client.post("/.well-known/certreg/ask", data=b"x" * (70 * 1024))
    assert response.status_code == 400 and response.json["error"]["code"] == "too-large"
