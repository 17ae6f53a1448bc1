"""A reversed purchase puts custody back as it was, unless custody moved again since (issue 12)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from certreg.cylinders import custody
from certreg.cylinders.models import CylinderStatus, EventKind
from certreg.extensions import db
from certreg.logbook import recording
from certreg.vocabulary import Role
from tests import factories
from tests.conftest import login
from tests.cylinders.test_custody_chain import _company, _cylinder, _events, _verify
from tests.logbook.conftest import entry_data, keys_dir  # noqa: F401  (the fixture below)

pytestmark = pytest.mark.usefixtures("keys_dir")


def _bought(importer_actor, importer_book, dealer_actor, dealer_book, x):
    recording.record_entry(importer_actor, importer_book, entry_data(
        "import", substance="HFC-134a", quantity=Decimal("12"), cylinders=[x.serial]))
    purchase = recording.record_entry(dealer_actor, dealer_book, entry_data(
        "purchase", substance="HFC-134a", quantity=Decimal("12"), cylinders=[x.serial],
        counterparty_name="Khorgos Import LLP"))
    return purchase


def test_reversing_a_purchase_puts_custody_back_and_the_log_still_verifies(app):
    importer, importer_actor, importer_book = _company("importer", "dealer")
    dealer, dealer_actor, dealer_book = _company("dealer")
    x = _cylinder(importer, importer_actor)
    purchase = _bought(importer_actor, importer_book, dealer_actor, dealer_book, x)
    assert x.custodian_company_id == dealer.id

    recording.reverse_entry(dealer_actor, purchase.id, "Recorded on the wrong logbook")
    db.session.commit()

    assert (x.custodian_company_id, x.custodian_technician_id) == (importer.id, None)
    assert (x.net_kg, x.status) == (Decimal("12"), CylinderStatus.IN_STOCK)
    last = _events(x)[-1]
    assert (last.kind, last.to_company_id, last.kg) == (EventKind.REVERSAL, importer.id, 0)
    assert last.entry_id != purchase.id and last.entry_id is not None  # the reversal entry's event
    result = _verify(app)
    assert result.exit_code == 0, result.output


def test_a_purchase_whose_cylinder_moved_on_since_leaves_custody_where_it_is(app):
    importer, importer_actor, importer_book = _company("importer", "dealer")
    dealer, dealer_actor, dealer_book = _company("dealer")
    tech = factories.make_technician(country_code="KZ")
    x = _cylinder(importer, importer_actor)
    purchase = _bought(importer_actor, importer_book, dealer_actor, dealer_book, x)
    custody.transfer(dealer_actor, x, tech)  # handed over since: the register follows that

    recording.reverse_entry(dealer_actor, purchase.id, "Duplicate")
    db.session.commit()

    assert (x.custodian_company_id, x.custodian_technician_id) == (None, tech.id)
    last = _events(x)[-1]
    assert (last.kind, last.to_company_id, last.to_technician_id, last.kg) == (EventKind.REVERSAL, None, None, 0)
    assert [e.kind for e in _events(x)][-3:] == [EventKind.TRANSFER, EventKind.TRANSFER, EventKind.REVERSAL]
    assert _verify(app).exit_code == 0


def test_the_cylinder_page_says_whether_custody_went_back(app, client):
    importer, importer_actor, importer_book = _company("importer", "dealer")
    dealer, dealer_actor, dealer_book = _company("dealer")
    x = _cylinder(importer, importer_actor)
    purchase = _bought(importer_actor, importer_book, dealer_actor, dealer_book, x)
    recording.reverse_entry(dealer_actor, purchase.id, "Recorded on the wrong logbook")
    login(client, factories.make_user(Role.ADMIN, "KZ"))
    assert "custody given back to the holder before the entry" in client.get(f"/cylinders/{x.serial}").text


def test_reversing_an_import_undoes_its_kilograms_not_its_custody(app):
    importer, importer_actor, importer_book = _company("importer", "dealer")
    x = _cylinder(importer, importer_actor)
    entry = recording.record_entry(importer_actor, importer_book, entry_data(
        "import", substance="HFC-134a", quantity=Decimal("12"), cylinders=[x.serial]))
    recording.reverse_entry(importer_actor, entry.id, "Wrong cylinder")
    assert (x.net_kg, x.status, x.custodian_company_id) == (Decimal("0"), CylinderStatus.EMPTY, importer.id)
    assert _events(x)[-1].kg == Decimal("-12")
