"""Issue #15 with licences: two real installations (KG and KZ, :mod:`tests.federation.conftest`).

KZ's verifiers get KG's signed licence status list (``/api/v1/licences/status-list``) after a sync, so
an inspector's offline licence check (``/l/``) in KZ verifies a KG licence and turns red after KG
revokes it; an iPIC question asked in KZ about a KG importer goes to KG's installation, which answers
with its register's signed answer; both sides record it.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.audit.models import AuditEntry
from certreg.certificates.states import today
from certreg.errors import InvalidState, ValidationFailed
from certreg.extensions import db
from certreg.federation import syncing
from certreg.federation.models import Direction, FederationMessage, Outcome
from certreg.licences import checking
from certreg.licences import documents as licence_documents
from certreg.licences import services as licences
from certreg.licences.models import Licence
from certreg.shipments import ipic
from certreg.shipments.models import IpicAnswer, IpicQuestion
from certreg.tokens.status_list import verify_status_list_token
from tests.factories import make_company
from tests.federation.installations import Installation

pytestmark = [pytest.mark.live, pytest.mark.xdist_group("federation")]
SYSTEM = Actor.system("test")


def _sync(kz: Installation) -> syncing.PeerSync:
    with kz.ctx():
        result = syncing.sync_all(SYSTEM)[0]
        db.session.commit()
        return result


def _kg_licence(kg: Installation, number: str, *, partners=("KZ",), cap_kg: str = "100") -> tuple[str, str]:
    """A KG importer with an import licence for HCFC-22: (its registration number, the licence's token)."""
    with kg.ctx():
        company = make_company(country_code="KG", activities=["importer", "dealer"])
        licence = licences.issue(SYSTEM, "KG", licences.LicenceData(
            number=number, company_registration=company.registration_number, direction="import",
            scope=["HCFC-22"], cap_kg=cap_kg, valid_from=today() - timedelta(days=30),
            valid_until=today() + timedelta(days=300), issuing_authority="Ministry of Natural Resources",
            partner_countries=list(partners)))
        token = licence_documents.token_for(SYSTEM, licence)
        db.session.commit()
        return company.registration_number, token


def _offline_check(kz: Installation, token: str) -> checking.LicenceCheck:
    """What the inspector's phone in KZ does: the served trust list and licence status lists, then the token."""
    with urllib.request.urlopen(f"{kz.url}/api/v1/licences/status-list", timeout=10) as response:  # noqa: S310
        served = json.loads(response.read())
    with kz.ctx():
        from certreg.certificates import trust
        from certreg.licences.token import LICENCE_STATUS_LIST_TYP

        trusted = trust.trust_list()
        lists = {country: verify_status_list_token(text, trusted, typ=LICENCE_STATUS_LIST_TYP)
                 for country, text in served["status_lists"].items()}
        return checking.assess(token, trusted, lists, today()), served


def test_a_peer_licence_verifies_offline_and_a_revocation_turns_red_after_the_next_sync(world):
    kg, kz = world["kg"], world["kz"]
    _, token = _kg_licence(kg, "KG-IMP-7")
    result = _sync(kz)
    assert result.results["status/licences"] == "new", result
    check, served = _offline_check(kz, token)
    assert served["origins"]["KG"]["origin"] == "Kyrgyzstan" and "KZ" in served["status_lists"]
    assert check.verdict == "VALID" and check.status_as_of is not None, check
    with urllib.request.urlopen(f"{kz.url}/l/{token}", timeout=10) as response:  # noqa: S310 - the online page
        assert 'data-verdict="VALID"' in response.read().decode()
    with kg.ctx():
        licence = db.session.query(Licence).filter_by(number="KG-IMP-7").one()
        licences.change_status(SYSTEM, licence, "revoked", "Licence obtained with a forged contract")
        db.session.commit()
    assert _offline_check(kz, token)[0].verdict == "VALID"  # not synced yet: KZ still has the old list
    assert _sync(kz).results["status/licences"] == "new"
    assert _offline_check(kz, token)[0].verdict == "REVOKED"
    with urllib.request.urlopen(f"{kz.url}/l/{token}", timeout=10) as response:  # noqa: S310
        assert 'data-verdict="REVOKED"' in response.read().decode()


def _sync_kg(kg: Installation) -> None:
    """KG pulls KZ's trust list: it checks KZ's signed questions with KZ's key."""
    with kg.ctx():
        assert syncing.sync_all(SYSTEM)[0].results["trust-list"] in ("new", "unchanged")
        db.session.commit()


def test_an_ipic_question_about_a_peer_importer_gets_the_peers_signed_answer_recorded_on_both_sides(world):
    kg, kz = world["kg"], world["kz"]
    registration, _ = _kg_licence(kg, "KG-IMP-8", partners=("KZ",), cap_kg="100")
    _sync_kg(kg)
    assert _sync(kz).ok
    with kz.ctx():
        row = ipic.ask(SYSTEM, "KZ", "KG", registration, "HCFC-22", "60")
        db.session.commit()
        assert (row.answer, row.licence_number, row.remaining_kg) == (IpicAnswer.YES, "KG-IMP-8", Decimal("100"))
        claims = ipic.verify_answer(row.answer_token)  # signed by KG's key, as KZ's trust list has it
        assert (claims.answering_country, claims.asking_country, claims.answer) == ("KG", "KZ", "yes")
        out = db.session.scalar(sa.select(FederationMessage).where(FederationMessage.kind == "ipic"))
        assert out.direction is Direction.OUT and out.outcome is Outcome.ANSWERED
        actions = set(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("ipic.%"))))
        assert actions == {"ipic.ask"}  # KG audits its own answer
        question_token = row.question_token
    with kg.ctx():
        answered = db.session.scalar(sa.select(IpicQuestion))
        assert (answered.asking_country, answered.answering_country, answered.answer, answered.licence_number) == (
            "KZ", "KG", IpicAnswer.YES, "KG-IMP-8")
        assert answered.question_token == question_token and answered.asked_by_label == "federation:Kazakhstan"
        came_in = db.session.scalar(sa.select(FederationMessage).where(FederationMessage.kind == "ipic"))
        assert came_in.direction is Direction.IN and came_in.outcome is Outcome.ANSWERED
        audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "ipic.answer"))
        assert audit.country_code == "KG"


def test_the_cli_asks_a_peer_and_a_no_comes_back_signed(world):
    kg, kz = world["kg"], world["kz"]
    registration, _token = _kg_licence(kg, "KG-IMP-9")  # its own importer: the test stands alone
    _sync(kz)
    _sync_kg(kg)
    result = kz.app.test_cli_runner().invoke(args=[
        "shipments", "ipic-ask", "--from", "KZ", "--to", "KG", "--importer", registration,
        "--substance", "HCFC-22", "--kg", "150"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["answer"] == "no" and shown["licence"] is None
    with kg.ctx():
        rows = db.session.scalars(sa.select(IpicQuestion).order_by(IpicQuestion.id)).all()
        assert [(r.answer, str(r.kg)) for r in rows][-1] == (IpicAnswer.NO, "150.000")


def test_a_question_the_peer_cannot_answer_fails_cleanly(world):
    kz, proxy = world["kz"], world["proxy"]
    _sync(kz)  # KZ knows KG's installation serves KG
    proxy.stop()
    try:
        with kz.ctx(), pytest.raises(InvalidState) as failed:
            ipic.ask(SYSTEM, "KZ", "KG", "REG-1", "HCFC-22", "10")
    finally:
        proxy.start()
    assert failed.value.code == "no_answer" and "Kyrgyzstan" in failed.value.message
    with kz.ctx(), pytest.raises(ValidationFailed) as unserved:  # a country nobody serves: no key to answer
        ipic.ask(SYSTEM, "KZ", "CN", "REG-1", "HCFC-22", "10")
    assert unserved.value.code == "no_signing_key"
