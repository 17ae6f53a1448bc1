"""Looking a cylinder up by any serial across the installation: every country's public fields, the
own country's cylinders in full with their custody history (page and API)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from certreg.actors import Actor
from certreg.cylinders import custody, lookup
from certreg.errors import Forbidden, ValidationFailed
from certreg.logbook import holders, recording
from certreg.vocabulary import HolderKind, Role
from tests.conftest import ApiClient, login
from tests.cylinders.builders import make_cylinder
from tests.factories import ensure_keys, make_company, make_technician, make_token, make_user
from tests.logbook.conftest import entry_data


@pytest.fixture
def travelled(app):
    """A Kyrgyz cylinder sold to a dealer, handed to a technician, a charge drawn."""
    ensure_keys("KG", "KZ")
    importer = make_company(country_code="KG", legal_name="Importer One", activities=["importer", "dealer"])
    dealer = make_company(country_code="KG", legal_name="Dealer Two", activities=["dealer"])
    technician = make_technician(country_code="KG", full_name="Асанов Нурлан")
    cylinder = make_cylinder(importer, kg="12")
    cylinder.stamp_number = "WX-778899"
    system = Actor.system("test")
    custody.transfer(system, cylinder, dealer)
    custody.transfer(system, cylinder, technician)
    custody.charge(system, cylinder, Decimal("2.5"))
    return cylinder


def test_own_country_in_full_other_countries_public_only(travelled):
    kg_inspector = Actor.of(make_user(Role.INSPECTOR, "KG"))
    [match] = lookup.lookup(kg_inspector, "WX-778899")
    assert match.full and match.cylinder.id == travelled.id
    assert [h.kind.value for h in match.history] == ["register", "fill", "transfer", "transfer", "charge"]
    assert [h.to_holder for h in match.history][2:4] == ["Dealer Two", "Асанов Нурлан"]
    assert match.history[-1].kg == Decimal("-2.5") and match.history[-1].net_kg_after == Decimal("9.5")

    kz_inspector = Actor.of(make_user(Role.INSPECTOR, "KZ"))
    [match] = lookup.lookup(kz_inspector, travelled.serial.lower().replace("-", " "))  # typed loosely
    assert not match.full and match.history == []


def test_lookup_is_for_officials_and_needs_a_serial(travelled):
    with pytest.raises(Forbidden):
        lookup.lookup(Actor.of(make_user(Role.COMPANY_USER, "KG")), travelled.serial)
    with pytest.raises(ValidationFailed) as refused:
        lookup.lookup(Actor.of(make_user(Role.INSPECTOR, "KZ")), "  ")
    assert refused.value.code == "serial_required"
    assert lookup.lookup(Actor.of(make_user(Role.INSPECTOR, "KZ")), "NO-SUCH-STAMP") == []


def test_lookup_api(client, openapi, travelled):
    kz = ApiClient(client, openapi, make_token(make_user(Role.INSPECTOR, "KZ")))
    [item] = kz.open("GET", f"/cylinders/lookup?q={travelled.serial}").json["items"]
    assert item["serial"] == travelled.serial and item["full"] is False and item["history"] == []
    assert "token" not in item and item["owner"] == travelled.owner.display_name
    kg = ApiClient(client, openapi, make_token(make_user(Role.INSPECTOR, "KG")))
    [item] = kg.open("GET", "/cylinders/lookup?q=WX-778899").json["items"]
    assert item["full"] is True and [h["kind"] for h in item["history"]][-1] == "charge"
    refused = kg.open("GET", "/cylinders/lookup?q=")
    assert refused.status_code == 422 and refused.json["error"]["code"] == "serial_required"


def test_lookup_page(client, travelled):
    login(client, make_user(Role.INSPECTOR, "KZ"))
    html = client.get(f"/cylinders/lookup?q={travelled.serial}").get_data(as_text=True)
    assert travelled.serial in html and "Kyrgyzstan" in html and "its public facts only" in html
    assert "Custody history" not in html
    other = client.application.test_client()
    login(other, make_user(Role.INSPECTOR, "KG"))
    html = other.get("/cylinders/lookup?q=WX-778899").get_data(as_text=True)
    assert "Custody history" in html and "Dealer Two" in html and "Асанов Нурлан" in html


def test_lookup_page_finds_a_serial_only_typed_on_logbook_entries(app, client):
    """A serial named on an import entry but never registered is a cylinder flagged for registration, with
    no national serial: the lookup page shows it by the typed serial and links to its page (was a 500)."""
    ensure_keys("KZ")
    importer = make_company(country_code="KZ", legal_name="Importer Three", activities=["importer", "dealer"])
    actor = Actor.of(make_user(Role.COMPANY_USER, "KZ", company=importer))
    recording.record_entry(actor, holders.holder(HolderKind.COMPANY, importer.id), entry_data(
        "import", substance="HFC-134a", quantity=Decimal("20"), cylinders=["SEC-404-0001"]))
    login(client, make_user(Role.INSPECTOR, "KZ"))
    response = client.get("/cylinders/lookup?q=SEC-404-0001")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Not registered yet" in html and "Importer Three" in html
    assert 'href="/cylinders/SEC-404-0001"' in html
    assert client.get("/cylinders/SEC-404-0001").status_code == 200
