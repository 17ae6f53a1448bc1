"""Acceptance of issue #15 (federation): two real installations, peered and synced.

KG issues certificates in its installation; KZ runs its own, with its own database, keys and port.
A proxy (:class:`tests.federation.installations.TamperProxy`) stands in front of KG to play a hostile
network. After peering and a sync, a Kazakh inspector's browser verifies KG certificates offline; a
revocation at KG turns red in KZ after the next sync; forged, replayed, unpinned and rolled-back
messages are refused and nothing is applied; with KG down, KZ still verifies from its last copy and
its questions fail cleanly.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.audit.models import AuditEntry
from certreg.certificates import lifecycle
from certreg.extensions import db
from certreg.federation import identity, publishing, questions, syncing, wire
from certreg.federation.models import Direction, FederationMessage, Outcome, Peer, PeerDocument
from certreg.keys import services as keys
from certreg.tokens import keys as signing_keys
from tests.factories import make_certificate, make_technician
from tests.federation.installations import Installation

pytestmark = [pytest.mark.live, pytest.mark.xdist_group("federation")]
SYSTEM = Actor.system("test")
STATUS = "status/certificates"


def _sync(kz: Installation) -> syncing.PeerSync:
    with kz.ctx():
        result = syncing.sync_all(SYSTEM)[0]
        db.session.commit()
        return result


def _stored(kz: Installation, kind: str) -> tuple[int, dict]:
    with kz.ctx():
        doc = db.session.scalar(sa.select(PeerDocument).where(PeerDocument.kind == kind))
        return doc.sequence, doc.body


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_1_sync_brings_the_peers_keys_and_status_lists_and_a_second_sync_is_conditional(world):
    kz = world["kz"]
    first = _sync(kz)
    assert first.results == {"trust-list": "new", STATUS: "new", "status/cylinder-labels": "new",
                             "status/licences": "new", "focal-points": "new", "licensees": "new"}, first
    again = _sync(kz)
    assert set(again.results.values()) == {"unchanged"}, again
    with kz.ctx():
        jwks = db.session.scalar(sa.select(PeerDocument.body).where(PeerDocument.kind == "trust-list"))
        assert [k["country"] for k in jwks["keys"]] == ["KG"]
    status, body = _get(f"{kz.url}/.well-known/jwks.json")
    served = json.loads(body)["keys"]
    assert status == 200 and [(k["country"], k.get("origin")) for k in served] == [("KZ", None), ("KG", "Kyrgyzstan")]
    status, body = _get(f"{kz.url}/api/v1/status-list")
    assert status == 200 and '"KG"' in body and '"origins"' in body
    # KZ's own published trust list names only KZ (no transitive trust).
    with kz.ctx():
        own = publishing.current("trust-list")
        document = wire.read_document(own.signed, kz.fingerprint, kind="trust-list")
        db.session.commit()
    assert [k["country"] for k in document.body["keys"]] == ["KZ"]


def test_2_online_verification_of_a_peer_certificate(world):
    kz = world["kz"]
    status, body = _get(f"{kz.url}/v/{world['valid']}")
    assert status == 200 and 'data-verdict="VALID"' in body


def test_3_questions_are_signed_answered_and_recorded_on_both_sides(world):
    kg, kz = world["kg"], world["kz"]
    with kz.ctx():
        asked = questions.ask(SYSTEM, world["kg_peer_id"], "certificate-status", {"number": world["doomed_number"]})
        db.session.commit()
    assert asked.answered, asked.message
    assert asked.answer["found"] and asked.answer["status"] == "valid" and asked.answer["country"] == "KG"
    with kz.ctx():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FederationMessage).where(
            FederationMessage.direction == Direction.OUT, FederationMessage.outcome == Outcome.ANSWERED)) == 1
    with kg.ctx():
        row = db.session.scalar(sa.select(FederationMessage).where(FederationMessage.direction == Direction.IN))
        assert row.outcome is Outcome.ANSWERED and row.kind == "certificate-status" and row.answer["found"]
    with kz.ctx():
        unknown = questions.ask(SYSTEM, world["kg_peer_id"], "certificate-status", {"number": "KG-T-2026-999999-0"})
        db.session.commit()
    assert unknown.answered and unknown.answer == {"found": False}


def test_4_a_revocation_at_kg_shows_in_kz_after_the_next_sync(world):
    kg, kz = world["kg"], world["kz"]
    before, _ = _stored(kz, STATUS)
    with kg.ctx():
        from certreg.certificates.models import Certificate

        cert = db.session.scalar(sa.select(Certificate).where(Certificate.number == world["doomed_number"]))
        lifecycle.revoke(SYSTEM, cert, "Training certificate was forged")
        db.session.commit()
    status, body = _get(f"{kz.url}/v/{world['doomed']}")
    assert 'data-verdict="VALID"' in body  # not synced yet: KZ still has the old list
    assert _sync(kz).results[STATUS] == "new"
    after, _ = _stored(kz, STATUS)
    assert after == before + 1
    status, body = _get(f"{kz.url}/v/{world['doomed']}")
    assert 'data-verdict="REVOKED"' in body


def test_4b_a_key_rotation_at_kg_is_picked_up_at_the_next_sync(world):
    kg, kz = world["kg"], world["kz"]
    with kg.ctx():
        new_key = keys.rotate(SYSTEM, "KG")
        db.session.commit()
        new_kid = new_key.kid
    result = _sync(kz)
    assert result.results["trust-list"] == "new" and result.results[STATUS] == "new", result
    _, jwks = _stored(kz, "trust-list")
    assert {k["kid"]: k["status"] for k in jwks["keys"]}[new_kid] == "active" and len(jwks["keys"]) == 2
    with kg.ctx():
        fresh = make_certificate(make_technician(full_name_latin="Toktogulov Aibek"))
        db.session.commit()
        token = fresh.token
    assert _sync(kz).ok
    status, body = _get(f"{kz.url}/v/{token}")
    assert 'data-verdict="VALID"' in body
    status, body = _get(f"{kz.url}/v/{world['doomed']}")  # signed by the retired key: still red
    assert 'data-verdict="REVOKED"' in body


def _refusals(kz: Installation, code: str) -> int:
    with kz.ctx():
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "federation.refused"))
        return sum(1 for entry in entries if (entry.after or {}).get("code") == code)


def test_5_a_rolled_back_sequence_is_refused_and_not_applied(world):
    kz, proxy = world["kz"], world["proxy"]
    path = "/.well-known/certreg/" + STATUS
    old = proxy.seen[path][0]  # the list from before the revocation (sequence 1)
    kept = _stored(kz, STATUS)
    with kz.ctx():  # make KZ fetch again (no ETag)
        db.session.execute(sa.update(PeerDocument).values(etag=None))
        db.session.commit()
    proxy.documents[path] = old
    try:
        result = _sync(kz)
    finally:
        proxy.documents.clear()
    assert result.results[STATUS] == "refused: rolled-back"
    assert _stored(kz, STATUS) == kept
    assert _refusals(kz, "rolled-back") == 1
    status, body = _get(f"{kz.url}/v/{world['doomed']}")
    assert 'data-verdict="REVOKED"' in body


def test_6_a_document_signed_by_an_unpinned_key_is_refused(world):
    kz, proxy = world["kz"], world["proxy"]
    path = "/.well-known/certreg/" + STATUS
    kg_doc = wire.read_document(proxy.seen[path][-1], world["kg"].fingerprint, kind=STATUS)
    intruder = signing_keys.generate_key()
    forged = wire.sign_document(intruder, kind=STATUS, sequence=kg_doc.sequence + 5, issued_at=kg_doc.issued_at,
                                issuer=kg_doc.issuer, body=kg_doc.body)
    kept = _stored(kz, STATUS)
    with kz.ctx():
        db.session.execute(sa.update(PeerDocument).values(etag=None))
        db.session.commit()
    proxy.documents[path] = forged
    try:
        result = _sync(kz)
    finally:
        proxy.documents.clear()
    assert result.results[STATUS] == "refused: unpinned-key"
    assert _stored(kz, STATUS) == kept
    assert _refusals(kz, "unpinned-key") == 1
    with kz.ctx():
        assert "unpinned-key" in db.session.get(Peer, world["kg_peer_id"]).last_error


def test_7_a_forged_answer_is_refused(world):
    kz, proxy = world["kz"], world["proxy"]

    def flip(body: bytes) -> bytes:  # change one byte of the signed payload (the answer's body)
        raw = bytearray(body)
        raw[len(raw) // 2] ^= 0x01
        return bytes(raw)

    proxy.answer = flip
    try:
        with kz.ctx():
            asked = questions.ask(SYSTEM, world["kg_peer_id"], "certificate-status", {"number": world["doomed_number"]})
            db.session.commit()
    finally:
        proxy.answer = None
    assert not asked.answered and "refused" in asked.message
    with kz.ctx():
        last = db.session.scalar(sa.select(FederationMessage).order_by(FederationMessage.id.desc()).limit(1))
        assert last.outcome is Outcome.REFUSED and last.answer is None


def test_8_a_replayed_question_is_refused_and_answered_once(world):
    kg, kz = world["kg"], world["kz"]
    with kz.ctx():
        question = wire.Message(wire.QUESTION, "ping", os.urandom(16), int(time.time()), kz.public_url,
                                kg.public_url, {})
        raw = wire.sign_message(identity.private_key(), question)

    def post() -> int:
        request = urllib.request.Request(f"{kg.url}/.well-known/certreg/ask", data=raw, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    assert post() == 200
    assert post() == 403
    with kg.ctx():
        rows = db.session.scalars(sa.select(FederationMessage).where(
            FederationMessage.direction == Direction.IN, FederationMessage.nonce == question.nonce.hex())).all()
        assert sorted(r.outcome.value for r in rows) == ["answered", "refused"]
        assert [r.error for r in rows if r.outcome is Outcome.REFUSED] == ["nonce seen before"]


def test_9_a_question_from_a_stranger_is_refused(world):
    kg = world["kg"]
    stranger = signing_keys.generate_key()
    raw = wire.sign_message(stranger, wire.Message(wire.QUESTION, "ping", os.urandom(16),
                                                   int(time.time()), "http://127.0.0.1:1",
                                                   kg.public_url, {}))
    request = urllib.request.Request(f"{kg.url}/.well-known/certreg/ask", data=raw, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310
    assert refused.value.code == 403 and b"not-a-peer" in refused.value.read()


def test_9b_questions_out_of_the_time_window_or_beyond_the_rate_are_refused(world):
    kg, kz = world["kg"], world["kz"]
    with kz.ctx():
        stale = wire.Message(wire.QUESTION, "ping", os.urandom(16), int(time.time()) - 3600, kz.public_url,
                             kg.public_url, {})
        raw = wire.sign_message(identity.private_key(), stale)
    request = urllib.request.Request(f"{kg.url}/.well-known/certreg/ask", data=raw, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310
    assert refused.value.code == 403 and b"out-of-window" in refused.value.read()
    kg.app.config["FEDERATION_RATE_LIMIT"] = 0
    try:
        with kz.ctx():
            asked = questions.ask(SYSTEM, world["kg_peer_id"], "ping", {})
            db.session.commit()
    finally:
        kg.app.config["FEDERATION_RATE_LIMIT"] = 60
    assert not asked.answered and asked.message.startswith("No answer from Kyrgyzstan since ")
    with kz.ctx():
        last = db.session.scalar(sa.select(FederationMessage).order_by(FederationMessage.id.desc()).limit(1))
        assert last.outcome is Outcome.NO_ANSWER and last.error.startswith("HTTP 429")


def test_z_with_the_peer_down_verification_uses_the_last_copy_and_questions_fail_cleanly(world):
    kz, proxy = world["kz"], world["proxy"]
    proxy.stop()
    try:
        result = _sync(kz)
        assert set(result.results.values()) == {"no answer"}
        status, body = _get(f"{kz.url}/v/{world['doomed']}")
        assert status == 200 and 'data-verdict="REVOKED"' in body
        status, body = _get(f"{kz.url}/v/{world['valid']}")
        assert status == 200 and 'data-verdict="VALID"' in body
        with kz.ctx():
            asked = questions.ask(SYSTEM, world["kg_peer_id"], "ping", {})
            db.session.commit()
        assert not asked.answered and asked.message.startswith("No answer from Kyrgyzstan since ")
    finally:
        proxy.start()
