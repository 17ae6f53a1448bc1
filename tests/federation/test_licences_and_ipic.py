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

import pytest

from certreg.actors import Actor
from certreg.certificates.states import today
from certreg.extensions import db
from certreg.federation import syncing
from certreg.licences import checking
from certreg.licences import documents as licence_documents
from certreg.licences import services as licences
from certreg.licences.models import Licence
from certreg.tokens.status_list import verify_status_list_token
from tests.factories import make_company
from tests.federation.installations import Installation

pytestmark = [pytest.mark.live]
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
    with kg.ctx():
        licence = db.session.query(Licence).filter_by(number="KG-IMP-7").one()
        licences.change_status(SYSTEM, licence, "revoked", "Licence obtained with a forged contract")
        db.session.commit()
    assert _offline_check(kz, token)[0].verdict == "VALID"  # not synced yet: KZ still has the old list
    assert _sync(kz).results["status/licences"] == "new"
    assert _offline_check(kz, token)[0].verdict == "REVOKED"
