"""A holder reference (``company:ID`` / ``technician:ID``) is read in one place and answered alike
on the pages and in the API: 422 ``invalid_holder`` when malformed, 404 when no such holder (or hidden)."""

from __future__ import annotations

import pytest

from certreg.errors import NotFound, ValidationFailed
from certreg.logbook import holders
from certreg.vocabulary import HolderKind
from tests import factories
from tests.conftest import login

REFS = [
    ("company:{own}", 200),
    ("technician:{tech}", 200),
    ("company:999999", 404),  # well formed, nobody
    ("technician:99999999999", 404),  # beyond any id
    ("company:{foreign}", 404),  # exists, another country's: not revealed
    ("firm:1", 422),
    ("company:", 422),
    ("company:abc", 422),
    ("company:-1", 422),
    ("company:1:2", 422),
    ("12", 422),
]


@pytest.fixture
def refs(people):
    foreign = factories.make_company(country_code="UZ")
    return {"own": people.dealer_company.id, "tech": people.kz_tech_record.id, "foreign": foreign.id}


@pytest.mark.parametrize("ref,status", REFS)
def test_the_page_and_the_api_answer_a_holder_reference_alike(client, api, people, refs, ref, status):
    ref = ref.format(**refs)
    inspector = factories.make_user("inspector", "KZ")
    login(client, inspector)
    page = client.get("/logbook/export.csv", query_string={"holder": ref})
    api.token = factories.make_token(inspector)
    entries = api.get("/logbook/entries", query_string={"holder": ref})
    stock = api.get("/logbook/stock", query_string={"holder": ref})
    assert (page.status_code, entries.status_code, stock.status_code) == (status, status, status)
    if status == 422:
        assert entries.get_json()["error"]["fields"]["holder"][0]["code"] == "invalid_holder"
        assert stock.get_json()["error"]["fields"]["holder"][0]["code"] == "invalid_holder"


def test_parse_ref():
    assert holders.parse_ref(" company:12 ") == (HolderKind.COMPANY, 12)
    assert holders.parse_ref("technician:7") == (HolderKind.TECHNICIAN, 7)
    for bad in ("Company:1", "company:1.0", "company: 1", "", "company:١"):
        with pytest.raises(ValidationFailed):
            holders.parse_ref(bad)
    with pytest.raises(NotFound):
        holders.holder(HolderKind.COMPANY, 2**31)
