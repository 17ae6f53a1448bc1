"""Every logbook rule, refused and allowed, through the service (the API and CSV tests repeat them)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.certificates import lifecycle
from certreg.errors import Forbidden, InvalidState, NotFound, ValidationFailed, roll_back
from certreg.extensions import db
from certreg.logbook import holders, queries, recording, settings, transfers
from certreg.logbook.models import Entry, EntryKind, Refusal, Transfer, TransferStatus, UsedOdsSales
from tests import factories
from tests.conftest import count_rows
from tests.logbook.conftest import TODAY, certify, entry_data, set_annex_ab_ban, stock

SYSTEM = Actor.system("tests")


def refused(call, code: str):
    db.session.commit()  # what came before stays, as it would between requests
    before = count_rows(Entry)
    with pytest.raises(ValidationFailed) as info:
        call()
    assert info.value.code == code, (info.value.code, info.value.message, info.value.fields)
    roll_back(info.value)
    assert count_rows(Entry)["logbook_entries"] == before["logbook_entries"]
    return info.value


def sell(people, certificate_text, **overrides):
    data = dict(substance="R-404A", quantity=Decimal("10"), buyer_certificate=certificate_text)
    data.update(overrides)
    return recording.record_entry(people.dealer_actor, people.dealer, entry_data("sale", **data))


@pytest.fixture
def stocked(people):
    """The KZ dealer holds 100 kg of virgin R-404A and 100 kg of virgin HCFC-22."""
    for substance in ("R-404A", "HCFC-22"):
        recording.record_entry(people.dealer_actor, people.dealer, entry_data("import", substance=substance))
    db.session.commit()
    return people


# --- sales: the buyer's certificate -----------------------------------------------------


def test_sale_to_a_certified_technician_lands_in_their_logbook_awaiting_confirmation(stocked):
    people = stocked
    cert = certify(people.kz_tech_record, ("A1",))
    entry = sell(people, cert.number.lower().replace("-", " "))
    db.session.commit()
    assert entry.kind is EntryKind.SALE and entry.buyer_certificate == cert.number
    assert entry.counterparty_name == people.kz_technician.name
    assert stock(people.dealer, "R-404A") == Decimal("90")
    transfer = db.session.scalar(sa.select(Transfer).where(Transfer.origin_entry_id == entry.id))
    assert transfer.status is TransferStatus.PENDING
    inbox = transfers.transfers(people.kz_tech_actor, people.kz_technician)
    assert [t.id for t in inbox] == [transfer.id]
    assert stock(people.kz_technician, "R-404A") == 0  # nothing until confirmed
    purchase = transfers.confirm_transfer(people.kz_tech_actor, transfer.id)
    db.session.commit()
    assert purchase.kind is EntryKind.PURCHASE and purchase.counterpart_of_id == entry.id
    assert purchase.counterparty_logbook_id == entry.logbook_id
    assert stock(people.kz_technician, "R-404A") == Decimal("10")
    assert transfers.transfers(people.kz_tech_actor, people.kz_technician) == []


def test_scanned_qr_of_the_buyer_is_accepted(stocked, app):
    cert = certify(stocked.kz_tech_record, ("A1",))
    entry = sell(stocked, f"{app.config['PUBLIC_BASE_URL']}/v/{cert.token}")
    assert entry.buyer_certificate == cert.number


@pytest.mark.parametrize("categories,substance,code", [
    (("D",), "R-404A", "activity_not_certified"),  # leak checks only may not buy refrigerant
    (("C",), "R-404A", "activity_not_certified"),  # recovery only
    (("I",), "R-290", "category_not_allowed"),  # hydrocarbons need A1/A2
])
def test_sale_refused_when_the_buyers_categories_do_not_allow_it(stocked, categories, substance, code):
    recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data("import", substance="R-290"))
    cert = certify(stocked.kz_tech_record, categories, valid_until=date(2029, 3, 1))
    error = refused(lambda: sell(stocked, cert.number, substance=substance), code)
    assert "buyer_certificate" in error.fields
    refusal = db.session.scalar(sa.select(Refusal).order_by(Refusal.id.desc()))
    assert refusal.code == code and refusal.actor_user_id == stocked.dealer_user.id
    assert refusal.kind is EntryKind.SALE and refusal.buyer_certificate == cert.number
    assert refusal.buyer_logbook_id == holders.logbook_for(stocked.kz_technician).id
    assert refusal.country_code == "KZ" and refusal.quantity == Decimal("10.000")


def test_hydrocarbon_sale_allowed_to_an_a2_technician(stocked):
    recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data("import", substance="R-290"))
    cert = certify(stocked.kz_tech_record, ("A2",))
    assert sell(stocked, cert.number, substance="R-290").kind is EntryKind.SALE


@pytest.mark.parametrize("change,code", [
    ("suspend", "certificate_suspended"),
    ("revoke", "certificate_revoked"),
    ("expired", "certificate_expired"),
    ("future", "certificate_not_yet_valid"),
])
def test_sale_refused_to_a_buyer_whose_certificate_is_not_valid_that_day(stocked, change, code):
    record = stocked.kz_tech_record
    if change == "expired":
        cert = certify(record, valid_from=TODAY - timedelta(days=800), valid_until=TODAY - timedelta(days=1))
    elif change == "future":
        cert = certify(record, valid_from=TODAY + timedelta(days=10))
    else:
        cert = certify(record)
        getattr(lifecycle, change)(SYSTEM, cert, "Logbook not kept")
        db.session.commit()
    refused(lambda: sell(stocked, cert.number), code)
    assert db.session.scalar(sa.select(Refusal.code)) == code


@pytest.mark.parametrize("text,code", [("KG-T-2026-000123-0", "malformed_number"),
                                       ("KZ-T-2020-999999-9", None), ("", "buyer_certificate_required")])
def test_sale_refused_for_malformed_unknown_or_missing_certificate(stocked, text, code):
    if code is None:  # a well-formed number nobody holds
        from certreg.certificates.numbers import format_number

        text, code = format_number("KZ", "technician", 2020, 999999), "unknown_certificate"
    refused(lambda: sell(stocked, text), code)


def test_company_buyer_needs_a_company_certificate_for_buying(stocked):
    shop = factories.make_company(country_code="KZ", activities=["service"])
    allowed = certify(shop, ("CO-SERVICE",))
    assert sell(stocked, allowed.number).counterparty_logbook.holder_kind.value == "company"
    destroyer = factories.make_company(country_code="KZ", activities=["destruction"])
    refused(lambda: sell(stocked, certify(destroyer, ("CO-DESTRUCT",)).number), "activity_not_certified")


def test_a_holder_cannot_sell_to_itself(stocked):
    own = certify(stocked.dealer_company, ("CO-DEALER",))
    refused(lambda: sell(stocked, own.number), "sale_to_self")


# --- the ban on virgin Annex A/B ----------------------------------------------------------


def test_virgin_cfc_sale_banned_after_the_ban_date_but_allowed_before(stocked):
    set_annex_ab_ban("KZ", TODAY - timedelta(days=10))
    recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data(
        "import", substance="CFC-12", operation_date=TODAY - timedelta(days=20)))
    cert = certify(stocked.kz_tech_record, ("A1",))
    before_ban = sell(stocked, cert.number, substance="CFC-12", operation_date=TODAY - timedelta(days=11))
    assert before_ban.kind is EntryKind.SALE
    refused(lambda: sell(stocked, cert.number, substance="CFC-12"), "virgin_ods_banned")
    refused(lambda: recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data(
        "import", substance="CFC-12")), "virgin_ods_banned")


def test_blend_with_a_cfc_component_is_banned_too(stocked, ban_2010):
    recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data(
        "import", substance="R-502", operation_date=date(2009, 6, 1)))
    cert = certify(stocked.kz_tech_record, ("A1",))
    refused(lambda: sell(stocked, cert.number, substance="R-502"), "virgin_ods_banned")


@pytest.mark.parametrize("policy,condition,allowed", [
    (UsedOdsSales.ALLOWED, "recovered", True),
    (UsedOdsSales.RECLAIMED_ONLY, "recovered", False),
    (UsedOdsSales.RECLAIMED_ONLY, "reclaimed", True),
    (UsedOdsSales.NONE, "reclaimed", False),
])
def test_used_cfc_may_move_where_the_country_allows_it(stocked, ban_2010, policy, condition, allowed):
    settings.update_settings(SYSTEM, "KZ", used_ods_sales=policy.value, leak_rate_threshold=None)
    recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data(
        "import", substance="CFC-12", condition="recovered", operation_date=date(2009, 6, 1)))
    if condition == "reclaimed":
        recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data(
            "reclamation", substance="CFC-12", quantity=Decimal("50"), operation_date=date(2009, 7, 1)))
    cert = certify(stocked.kz_tech_record, ("A1",))
    sale = lambda: sell(stocked, cert.number, substance="CFC-12", condition=condition)  # noqa: E731
    if allowed:
        assert sale().condition.value == condition
    else:
        refused(sale, "used_ods_sale_not_allowed")


# --- imports and exports -------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["import_licence", "customs_declaration", "origin_country", "exporter_name"])
def test_import_needs_every_proof_of_origin_field(people, missing):
    error = refused(lambda: recording.record_entry(people.dealer_actor, people.dealer,
                                                  entry_data("import", **{missing: ""})), "proof_of_origin_missing")
    assert list(error.fields) == [missing]
    assert db.session.scalar(sa.select(Refusal.code)) == "proof_of_origin_missing"


def test_import_with_proof_of_origin_is_recorded(people):
    entry = recording.record_entry(people.dealer_actor, people.dealer, entry_data("import"))
    assert (entry.import_licence, entry.origin_country) == ("UZ-IMP-2026-0042", "CN")


def test_import_from_ones_own_country_is_refused(people):
    refused(lambda: recording.record_entry(people.dealer_actor, people.dealer,
                                          entry_data("import", origin_country="KZ")), "origin_is_own_country")


def test_export_needs_licence_and_destination(stocked):
    refused(lambda: recording.record_entry(stocked.dealer_actor, stocked.dealer,
                                          entry_data("export", export_licence="")), "export_licence_missing")


def test_export_to_a_registered_importer_awaits_its_confirmation_with_its_own_proof_of_origin(stocked):
    importer = factories.make_company(country_code="UZ", activities=["importer"])
    importer_user = factories.make_user("company_user", "UZ", company=importer)
    entry = recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data(
        "export", quantity=Decimal("20"), counterparty_registration=importer.registration_number))
    db.session.commit()
    transfer = db.session.scalar(sa.select(Transfer).where(Transfer.origin_entry_id == entry.id))
    actor = Actor.of(importer_user)
    refused(lambda: transfers.confirm_transfer(actor, transfer.id), "proof_of_origin_missing")
    imported = transfers.confirm_transfer(actor, transfer.id, import_licence="UZ-IMP-1", customs_declaration="D-1")
    assert imported.kind is EntryKind.IMPORT and imported.origin_country == "KZ"
    assert imported.exporter_name == stocked.dealer.name
    assert stock(holders.holder("company", importer.id)) == Decimal("20")


# --- stock ----------------------------------------------------------------------------------


def test_stock_never_goes_negative(stocked):
    refused(lambda: recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data(
        "export", quantity=Decimal("100.001"))), "insufficient_stock")
    recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data("export", quantity=Decimal("100")))
    assert stock(stocked.dealer) == Decimal("0")
    assert db.session.scalar(sa.select(Refusal.code)) == "insufficient_stock"


def test_selling_as_recovered_needs_recorded_recovered_stock(stocked):
    cert = certify(stocked.kz_tech_record, ("A1",))
    refused(lambda: sell(stocked, cert.number, condition="recovered"), "condition_not_in_stock")
    recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data(
        "purchase", substance="R-404A", condition="recovered", quantity=Decimal("12")))
    assert sell(stocked, cert.number, condition="recovered").condition.value == "recovered"
    assert stock(stocked.dealer, "R-404A", "recovered") == Decimal("2")


def test_recycling_and_reclamation_move_stock_between_conditions(stocked):
    recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data(
        "purchase", condition="recovered", quantity=Decimal("30")))
    recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data("recycling", quantity=Decimal("10")))
    recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data(
        "reclamation", quantity=Decimal("5"), from_condition="recycled"))
    assert [stock(stocked.dealer, "HCFC-22", c) for c in ("recovered", "recycled", "reclaimed")] == [20, 5, 5]
    refused(lambda: recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data(
        "recycling", quantity=Decimal("21"))), "insufficient_stock")


def test_stock_count_adjusts_with_a_reason(stocked):
    refused(lambda: recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data(
        "stock_count", quantity=None, counted_quantity=Decimal("97.5"))), "reason_required")
    entry = recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data(
        "stock_count", quantity=None, counted_quantity=Decimal("97.5"), reason="Cylinder valve leak"))
    assert (entry.direction.value, entry.quantity, entry.book_quantity) == ("out", Decimal("2.5"), Decimal("100"))
    assert stock(stocked.dealer) == Decimal("97.5")
    refused(lambda: recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data(
        "stock_count", quantity=None, counted_quantity=Decimal("97.5"), reason="again")), "stock_count_matches")
    refused(lambda: recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data(
        "stock_count", quantity=None, counted_quantity=Decimal("1e30"), reason="typo")), "invalid_number")
    # Whole grams but more than the kilogram columns hold (used to overflow PostgreSQL's numeric).
    refused(lambda: recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data(
        "stock_count", quantity=None, counted_quantity=Decimal("1e14"), reason="typo")), "quantity_too_large")


@pytest.mark.parametrize("quantity,code", [("0", "quantity_not_positive"), ("-1", "quantity_not_positive"),
                                           ("1.0001", "quantity_precision"), ("abc", "invalid_number"),
                                           ("100000000000", "quantity_too_large"), ("1e30", "quantity_too_large")])
def test_quantities_are_positive_kilograms_with_at_most_three_decimals(people, quantity, code):
    refused(lambda: recording.record_entry(people.dealer_actor, people.dealer,
                                          entry_data("import", quantity=quantity)), code)


def test_future_dates_and_unknown_substances_are_refused(people):
    refused(lambda: recording.record_entry(people.dealer_actor, people.dealer, entry_data(
        "import", operation_date=TODAY + timedelta(days=1))), "date_in_future")
    refused(lambda: recording.record_entry(people.dealer_actor, people.dealer, entry_data(
        "import", substance="R-999")), "unknown_substance")
    assert recording.record_entry(people.dealer_actor, people.dealer, entry_data(
        "import", substance="r 22")).substance_code == "HCFC-22"


# --- reversals --------------------------------------------------------------------------------


def test_reversal_corrects_an_entry_and_is_final(stocked):
    wrong = recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data("export", quantity=Decimal("40")))
    refused(lambda: recording.reverse_entry(stocked.dealer_actor, wrong.id, " "), "reason_required")
    reversal = recording.reverse_entry(stocked.dealer_actor, wrong.id, "Typed 40 instead of 4")
    assert reversal.kind is EntryKind.REVERSAL and reversal.reverses_id == wrong.id
    assert reversal.operation_date == wrong.operation_date and stock(stocked.dealer) == Decimal("100")
    refused(lambda: recording.reverse_entry(stocked.dealer_actor, wrong.id, "again"), "already_reversed")
    refused(lambda: recording.reverse_entry(stocked.dealer_actor, reversal.id, "undo"), "cannot_reverse_reversal")


def test_reversing_a_purchase_whose_stock_was_used_is_refused(stocked):
    refused(lambda: recording.reverse_entry(stocked.dealer_actor, _first_import(stocked).id, "wrong")
            if recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data(
                "export", quantity=Decimal("60"))) else None, "insufficient_stock")


def _first_import(people):
    return db.session.scalar(sa.select(Entry).where(Entry.kind == EntryKind.IMPORT,
                                                    Entry.substance_code == "HCFC-22").order_by(Entry.id))


def test_reversed_sale_cancels_the_pending_purchase_but_not_a_confirmed_one(stocked):
    cert = certify(stocked.kz_tech_record)
    first, second = sell(stocked, cert.number), sell(stocked, cert.number)
    db.session.commit()
    recording.reverse_entry(stocked.dealer_actor, first.id, "Customer cancelled")
    assert queries.transfer_of(first).status is TransferStatus.CANCELLED
    transfers.confirm_transfer(stocked.kz_tech_actor, queries.transfer_of(second).id)
    refused(lambda: recording.reverse_entry(stocked.dealer_actor, second.id, "oops"), "counterpart_confirmed")


# --- counterparts --------------------------------------------------------------------------------


def test_disputed_purchase_stays_out_of_stock_and_may_still_be_confirmed(stocked):
    cert = certify(stocked.kz_tech_record)
    transfer = queries.transfer_of(sell(stocked, cert.number))
    with pytest.raises(ValidationFailed):
        transfers.dispute_transfer(stocked.kz_tech_actor, transfer.id, "")
    transfers.dispute_transfer(stocked.kz_tech_actor, transfer.id, "I bought 1 kg, not 10")
    assert transfer.status is TransferStatus.DISPUTED and stock(stocked.kz_technician, "R-404A") == 0
    listed = transfers.transfers(stocked.kz_tech_actor, stocked.kz_technician)
    assert [t.status for t in listed] == [TransferStatus.DISPUTED]
    transfers.confirm_transfer(stocked.kz_tech_actor, transfer.id)
    with pytest.raises(InvalidState):
        transfers.confirm_transfer(stocked.kz_tech_actor, transfer.id)


def test_only_the_receiver_answers_a_transfer(stocked):
    cert = certify(stocked.kz_tech_record)
    transfer = queries.transfer_of(sell(stocked, cert.number))
    with pytest.raises(Forbidden):
        transfers.confirm_transfer(stocked.dealer_actor, transfer.id)
    stranger = Actor.of(factories.make_user("technician", "KZ"))
    with pytest.raises(NotFound):
        transfers.dispute_transfer(stranger, transfer.id, "not mine")


# --- who may write and read ----------------------------------------------------------------------


def test_only_the_holders_users_write_and_officials_of_the_country_read(stocked):
    other = Actor.of(factories.make_user("company_user", "KZ"))
    with pytest.raises(NotFound):
        recording.record_entry(other, stocked.dealer, entry_data("import"))
    inspector = Actor.of(factories.make_user("inspector", "KZ"))
    with pytest.raises(Forbidden):
        recording.record_entry(inspector, stocked.dealer, entry_data("import"))
    assert queries.list_entries(inspector, stocked.dealer).total == 2
    with pytest.raises(NotFound):
        queries.list_entries(Actor.of(factories.make_user("inspector", "KG")), stocked.dealer)
    assert queries.list_entries(inspector, None, country_code="KZ").total == 2


def test_entries_and_checkpoints_cannot_be_updated_or_deleted(stocked, keys_dir):
    from certreg.logbook import checkpointing

    entry = recording.record_entry(stocked.dealer_actor, stocked.dealer, entry_data("import", cylinders=["C-9"]))
    checkpoint = checkpointing.create_checkpoint(SYSTEM, "KZ")
    db.session.commit()
    for statement in ("UPDATE logbook_entries SET quantity = 1 WHERE id = :id",
                      "DELETE FROM logbook_entries WHERE id = :id",
                      "UPDATE logbook_entry_cylinders SET serial = 'X' WHERE entry_id = :id",
                      "DELETE FROM logbook_entry_cylinders WHERE entry_id = :id",
                      f"UPDATE logbook_checkpoints SET tree_size = 1 WHERE id = {checkpoint.id} AND :id > 0",
                      f"DELETE FROM logbook_checkpoints WHERE id = {checkpoint.id} AND :id > 0"):
        with pytest.raises(sa.exc.DBAPIError) as info, db.session.begin_nested():
            db.session.execute(sa.text(statement), {"id": entry.id})
        assert "append-only" in str(info.value)
    assert db.session.get(Entry, entry.id).quantity == Decimal("100")


def test_country_ban_date_comes_from_the_country_settings(ban_2010):
    assert settings.rule_context("KZ").bans["A/I"] == date(2010, 1, 1)
    assert settings.rule_context("KZ").bans["C/III"] == date(2002, 1, 1)  # the Protocol's default
