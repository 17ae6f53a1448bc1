"""Acceptance 1 of issue 12: one cylinder's gas from import to destruction, across four holders.

An importer imports 12 kg of HFC-134a into cylinder X and sells it to a dealer, who sells it to a
technician (custody moves when each buyer confirms); the technician charges twice from X,
recovers gas into the dealer's recovery cylinder R, hands X back to the dealer, and a
destruction facility takes R and destroys its contents. Every step is an event in the
country's tamper-evident log, `flask logbook verify` passes, and an edited event is named.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.cylinders import custody
from certreg.cylinders.models import Cylinder, CylinderEvent, CylinderKind, CylinderStatus, EventKind
from certreg.cylinders.registration import RegisterData, register
from certreg.db import utcnow
from certreg.errors import ValidationFailed
from certreg.extensions import db
from certreg.logbook import equipment as eq
from certreg.logbook import holders, ledger, queries, recording, transfers
from certreg.logbook.models import LogNode, MerkleLog
from certreg.vocabulary import HolderKind, Role
from tests import factories
from tests.logbook.conftest import certify, entry_data, keys_dir  # noqa: F401  (the fixture below)

pytestmark = pytest.mark.usefixtures("keys_dir")


def _company(*activities):
    company = factories.make_company(country_code="KZ", activities=list(activities))
    user = factories.make_user(Role.COMPANY_USER, "KZ", company=company)
    return company, Actor.of(user), holders.holder(HolderKind.COMPANY, company.id)


def _cylinder(owner, actor, kind=CylinderKind.REFILLABLE, capacity="13.6") -> Cylinder:
    return register(actor, RegisterData(owner_company_id=owner.id, kind=kind, water_capacity_l=Decimal(capacity),
                                        tare_kg=Decimal("6.5"), manufacturer="Worthington", stamp_number=None))


def _confirm_sale(seller_actor, seller, buyer_actor, certificate, kg, serial):
    sale = recording.record_entry(seller_actor, seller, entry_data(
        "sale", substance="HFC-134a", quantity=Decimal(kg), buyer_certificate=certificate, cylinders=[serial]))
    return transfers.confirm_transfer(buyer_actor, queries.transfer_of(sale).id)


def _events(cylinder):
    return db.session.scalars(sa.select(CylinderEvent).where(CylinderEvent.cylinder_id == cylinder.id)
                              .order_by(CylinderEvent.seq)).all()


def as_attacker(statement) -> None:
    """Run ``statement`` past the append-only triggers, as someone with database rights would."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        db.session.execute(statement)
        db.session.execute(sa.text("SET LOCAL session_replication_role = origin"))
        return
    triggers = db.session.execute(sa.text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'cylinder_events'")).all()
    for name, _sql in triggers:
        db.session.execute(sa.text(f"DROP TRIGGER {name}"))
    db.session.execute(statement)
    for _name, create in triggers:
        db.session.execute(sa.text(create))


def _verify(app):
    return app.test_cli_runner().invoke(args=["logbook", "verify", "--country", "KZ"])


def test_a_cylinder_from_import_to_destruction_is_in_the_log(app):
    importer, importer_actor, importer_book = _company("importer", "dealer")
    dealer, dealer_actor, dealer_book = _company("dealer")
    destroyer, destroyer_actor, destroyer_book = _company("destruction")
    tech = factories.make_technician(country_code="KZ")
    tech_actor = Actor.of(factories.make_user(Role.TECHNICIAN, "KZ", technician=tech))
    tech_book = holders.holder(HolderKind.TECHNICIAN, tech.id)
    dealer_cert, tech_cert = certify(dealer, ("CO-DEALER",)), certify(tech, ("A1",))

    x = _cylinder(importer, importer_actor)
    recording.record_entry(importer_actor, importer_book, entry_data(
        "import", substance="HFC-134a", quantity=Decimal("12"), cylinders=[x.serial.lower()]))
    assert (x.net_kg, x.condition.value, x.fills, x.custodian_company_id) == (Decimal("12"), "virgin", 1, importer.id)

    # a sale moves custody only when the buyer confirms
    sale = recording.record_entry(importer_actor, importer_book, entry_data(
        "sale", substance="HFC-134a", quantity=Decimal("12"), buyer_certificate=dealer_cert.number,
        cylinders=[x.serial]))
    assert x.custodian_company_id == importer.id
    transfers.confirm_transfer(dealer_actor, queries.transfer_of(sale).id)
    assert x.custodian_company_id == dealer.id
    _confirm_sale(dealer_actor, dealer_book, tech_actor, tech_cert.number, "12", x.serial)
    assert (x.custodian_technician_id, x.status) == (tech.id, CylinderStatus.WITH_TECHNICIAN)

    unit = eq.register(tech_actor, tech_book, eq.EquipmentData(
        owner_kind="company", owner_name="Almaty Mall", site_address="Almaty", kind="air_conditioning",
        substance="HFC-134a", nominal_charge=Decimal("20")))
    for kg in ("3", "2.5"):
        recording.record_entry(tech_actor, tech_book, entry_data(
            "charge", substance="HFC-134a", quantity=Decimal(kg), equipment=unit.code, cylinders=[x.serial]))
    assert x.net_kg == Decimal("6.5")
    refused = None
    try:
        recording.record_entry(tech_actor, tech_book, entry_data(
            "charge", substance="HFC-134a", quantity=Decimal("6.6"), equipment=unit.code, cylinders=[x.serial]))
    except ValidationFailed as exc:
        refused = exc
    assert refused is not None and refused.code in ("contents_below_zero", "insufficient_stock")

    r = _cylinder(dealer, dealer_actor, CylinderKind.RECOVERY, "26.8")
    custody.transfer(dealer_actor, r, tech)  # the dealer lends its recovery cylinder
    recording.record_entry(tech_actor, tech_book, entry_data(
        "recovery", substance="HFC-134a", quantity=Decimal("5"), condition="recovered", equipment=unit.code,
        cylinders=[r.serial]))
    assert (r.net_kg, r.condition.value) == (Decimal("5"), "recovered")
    custody.transfer_to(tech_actor, x, company_id=dealer.id, technician_id=None, returned=True)
    assert (x.custodian_company_id, x.status) == (dealer.id, CylinderStatus.RETURNED)

    recording.record_entry(tech_actor, tech_book, entry_data(
        "sent_for_destruction", substance="HFC-134a", quantity=Decimal("5"), condition="recovered",
        cylinders=[r.serial], counterparty_name=destroyer.name_latin))
    recording.record_entry(destroyer_actor, destroyer_book, entry_data(
        "purchase", substance="HFC-134a", quantity=Decimal("5"), condition="recovered", cylinders=[r.serial],
        counterparty_name=tech.full_name_latin))
    assert r.custodian_company_id == destroyer.id
    recording.record_entry(destroyer_actor, destroyer_book, entry_data(
        "destroyed", substance="HFC-134a", quantity=Decimal("5"), condition="recovered", cylinders=[r.serial]))
    assert (r.net_kg, r.status) == (Decimal("0"), CylinderStatus.DESTROYED)
    db.session.commit()

    x_events = _events(x)
    assert [e.kind for e in x_events] == [EventKind.REGISTER, EventKind.FILL, EventKind.TRANSFER, EventKind.TRANSFER,
                                          EventKind.CHARGE, EventKind.CHARGE, EventKind.RETURN]
    assert [e.net_kg_after for e in x_events] == [0, 12, 12, 12, Decimal("9"), Decimal("6.5"), Decimal("6.5")]
    holders_of_x = [e.to_company_id or e.to_technician_id for e in x_events if e.kind is not EventKind.CHARGE]
    assert holders_of_x[2:] == [dealer.id, tech.id, dealer.id]
    assert [e.kind for e in _events(r)] == [EventKind.REGISTER, EventKind.TRANSFER, EventKind.RECOVERY,
                                            EventKind.TRANSFER, EventKind.DESTROY]
    every = x_events + _events(r)
    assert all(e.seq is not None and e.country_code == "KZ" and e.leaf_hash and e.mac for e in every)
    assert all(e.entry_id is not None for e in every if e.kind in (EventKind.FILL, EventKind.CHARGE,
                                                                    EventKind.RECOVERY, EventKind.DESTROY))
    # entries and events share one sequence of positions, 0 .. size - 1
    head = db.session.get(MerkleLog, "KZ")
    entry_seqs = db.session.scalars(sa.text("SELECT seq FROM logbook_entries WHERE country_code = 'KZ'")).all()
    event_seqs = db.session.scalars(sa.select(CylinderEvent.seq).where(CylinderEvent.country_code == "KZ")).all()
    assert sorted(entry_seqs + event_seqs) == list(range(head.size))

    result = _verify(app)
    assert result.exit_code == 0, result.output
    # an entry's inclusion proof folds over the events' leaves between the entries
    from certreg.logbook import checkpointing

    head = ledger.lock_head("KZ")
    checkpointing.sign_head(head, utcnow())
    ledger.save_head(head, utcnow())
    first = db.session.scalar(sa.text("SELECT id FROM logbook_entries WHERE country_code = 'KZ' ORDER BY seq LIMIT 1"))
    assert checkpointing.inclusion_proof(Actor.system("test"), first)["verified"]
    db.session.commit()

    # an attacker with database rights edits one event: verify names it
    charge = x_events[4]
    edit = (sa.update(CylinderEvent.__table__).where(CylinderEvent.id == charge.id)
            .values(kg=Decimal("-0.5"), net_kg_after=Decimal("11.5")))
    with pytest.raises(sa.exc.DatabaseError), db.session.begin_nested():  # the application's role cannot
        db.session.execute(edit)
    as_attacker(edit)
    db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert f"first bad entry: seq {charge.seq}" in result.output
    assert "cylinder_event_changed" in result.output
    assert re.search(rf"cylinder event id {charge.id} \(charge of cylinder {x.serial}\)", result.output)


def test_rewriting_an_events_hash_is_caught_by_its_mac_and_a_deleted_event_by_the_gap(app):
    owner, actor, book = _company("importer", "dealer")
    x = _cylinder(owner, actor)
    recording.record_entry(actor, book, entry_data("import", substance="HFC-134a", quantity=Decimal("10"),
                                                   cylinders=[x.serial]))
    custody.charge(actor, x, Decimal("1"))
    recording.record_entry(actor, book, entry_data("import", substance="HFC-134a", quantity=Decimal("1")))
    db.session.commit()
    fill, drawn = _events(x)[1:3]
    fill_seq, drawn_seq = fill.seq, drawn.seq
    from certreg.cylinders import custody_log

    values = dict(db.session.execute(sa.select(CylinderEvent.__table__).where(CylinderEvent.id == fill.id))
                  .mappings().one())
    values["kg"] = Decimal("11")
    forged = custody_log.canonical.leaf_hash(custody_log.canonical_bytes(values, x.serial))
    as_attacker(sa.update(CylinderEvent.__table__).where(CylinderEvent.id == fill.id)
                .values(kg=Decimal("11"), leaf_hash=forged))
    as_attacker(sa.delete(CylinderEvent.__table__).where(CylinderEvent.id == drawn.id))
    db.session.execute(sa.delete(LogNode.__table__))  # not what this test looks at
    db.session.commit()
    output = _verify(app).output
    assert f"first bad entry: seq {fill_seq}" in output
    assert "cylinder_event_mac_invalid" in output
    assert f"entries at seq {drawn_seq}..{drawn_seq} are missing" in output


def test_unknown_serials_on_entries_become_unregistered_cylinders_flagged_for_registration(app):
    owner, actor, book = _company("importer", "dealer")
    recording.record_entry(actor, book, entry_data("import", substance="HFC-134a", quantity=Decimal("20"),
                                                   cylinders=["QEF-1", "QEF-2"]))
    recording.record_entry(actor, book, entry_data("import", substance="HFC-134a", quantity=Decimal("5"),
                                                   cylinders=["QEF-2"]))
    flagged = db.session.scalars(sa.select(Cylinder).where(Cylinder.country_code == "KZ",
                                                           Cylinder.needs_registration)
                                 .order_by(Cylinder.stamp_number)).all()
    assert [(c.stamp_number, c.serial, c.custodian_company_id, c.label) for c in flagged] == [
        ("QEF-1", None, owner.id, "QEF-1"), ("QEF-2", None, owner.id, "QEF-2")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CylinderEvent)
                             .where(CylinderEvent.cylinder_id.in_([c.id for c in flagged]))) == 0


def test_contents_never_below_zero_in_the_database_either(app):
    owner, actor, _book = _company("importer", "dealer")
    x = _cylinder(owner, actor)
    db.session.commit()
    failed = False
    try:
        with db.session.begin_nested():
            db.session.execute(sa.update(Cylinder.__table__).where(Cylinder.id == x.id).values(net_kg=Decimal("-1")))
    except sa.exc.IntegrityError:
        failed = True
    assert failed


def test_a_cylinder_reported_lost_by_api_and_cli_is_closed_and_in_the_log(app, client, openapi):
    from tests.conftest import ApiClient
    from tests.factories import make_token, make_user

    owner, actor, _book = _company("importer", "dealer")
    first, second = _cylinder(owner, actor), _cylinder(owner, actor)
    api = ApiClient(client, openapi, make_token(make_user(Role.ADMIN, "KZ")))
    refused = api.open("POST", f"/cylinders/{first.serial}/lost", json={})
    assert refused.status_code == 422
    lost = api.open("POST", f"/cylinders/{first.serial}/lost", json={"reference": "Police report 12/7"})
    assert lost.status_code == 200 and lost.json["status"] == "lost"
    assert lost.json["events"][-1]["kind"] == "lost" and lost.json["events"][-1]["seq"] is not None
    again = api.open("POST", f"/cylinders/{first.serial}/lost", json={"reference": "again"})
    assert again.status_code == 422 and again.json["error"]["code"] == "cylinder_closed"
    result = app.test_cli_runner().invoke(args=["cylinders", "lost", second.serial, "--reference", "stolen"])
    assert result.exit_code == 0, result.output
    db.session.refresh(second)
    assert second.status is CylinderStatus.LOST and _events(second)[-1].kind is EventKind.LOST
    assert _verify(app).exit_code == 0


def test_registering_a_flagged_serial_gives_it_a_national_serial_and_keeps_its_custodian(app, client):
    from tests.conftest import login

    owner, actor, book = _company("importer", "dealer")
    recording.record_entry(actor, book, entry_data("import", substance="HFC-134a", quantity=Decimal("10"),
                                                   cylinders=["OWN-77"]))
    flagged_id = resolve_id("OWN-77")
    listed = app.test_cli_runner().invoke(args=["cylinders", "unregistered", "--country", "KZ"])
    assert "OWN-77" in listed.output
    user = factories.make_user(Role.ADMIN, "KZ")
    db.session.commit()
    login(client, user)
    page = client.get("/cylinders/OWN-77")
    assert page.status_code == 200 and "Not registered yet" in page.get_data(as_text=True)
    assert client.get("/cylinders/OWN-77/label.pdf").status_code == 404
    assert "OWN-77" in client.get("/cylinders").get_data(as_text=True)
    cylinder = register(actor, RegisterData(owner_company_id=owner.id, kind=CylinderKind.REFILLABLE,
                                            water_capacity_l=Decimal("13.6"), tare_kg=Decimal("6.5"),
                                            stamp_number="OWN-77"))
    assert cylinder.id == flagged_id and not cylinder.needs_registration and cylinder.serial.startswith("KZ-C-")
    assert cylinder.token and cylinder.custodian_company_id == owner.id
    # from now on entries naming the stamp number move the registered cylinder
    recording.record_entry(actor, book, entry_data("import", substance="HFC-134a", quantity=Decimal("10"),
                                                   cylinders=["OWN-77"]))
    assert cylinder.net_kg == Decimal("10") and _events(cylinder)[-1].kind is EventKind.FILL


def resolve_id(serial: str) -> int:
    return db.session.scalar(sa.select(Cylinder.id).where(Cylinder.stamp_number == serial))


def test_a_csv_import_fills_the_cylinders_it_names_all_lines_or_none(app):
    from certreg.logbook import imports

    owner, actor, book = _company("importer", "dealer")
    x = _cylinder(owner, actor)
    head = ("date,kind,substance,quantity_kg,condition,cylinders,import_licence,customs_declaration,"
            "origin_country,exporter\n")
    proof = "L-1,D-1,CN,Quzhou Example"
    good = (head + f"2026-03-15,import,HFC-134a,10,virgin,{x.serial},{proof}\n"
            f"2026-03-16,import,HFC-134a,3.5,virgin,{x.serial};NEW-5,{proof}\n")
    result = imports.import_csv(actor, book, good.encode(), "good.csv")
    assert not result.errors, [e.describe() for e in result.errors]
    db.session.refresh(x)
    assert x.net_kg == Decimal("11.750")  # 10 + half of 3.5
    fills = [e for e in _events(x) if e.kind is EventKind.FILL]
    assert [e.kg for e in fills] == [Decimal("10"), Decimal("1.75")] and all(e.entry_id for e in fills)
    assert resolve_id("NEW-5") is not None
    assert _verify(app).exit_code == 0
    db.session.commit()

    bad = (head + f"2026-03-17,import,HFC-134a,1,virgin,{x.serial},{proof}\n"
           f"2026-03-18,import,HFC-134a,3,virgin,{x.serial},{proof}\n")  # 11.75 + 1 + 3 > 13.6 l x 1.05
    result = imports.import_csv(actor, book, bad.encode(), "bad.csv")
    assert [(e.line, e.field, e.code) for e in result.errors] == [(3, "cylinders", "overfill")]
    db.session.rollback()
    db.session.refresh(x)
    assert x.net_kg == Decimal("11.750")


def _refusal(call) -> str:
    try:
        with db.session.begin_nested():
            call()
    except ValidationFailed as exc:
        assert "cylinders" in exc.fields
        return exc.code
    return "accepted"


def test_entries_naming_a_cylinder_follow_its_rules_and_accept_the_legal_neighbour(app):
    owner, actor, book = _company("importer", "dealer", "service")
    other, other_actor, _other_book = _company("importer", "dealer")
    x, theirs = _cylinder(owner, actor), _cylinder(other, other_actor)
    r = _cylinder(owner, actor, CylinderKind.RECOVERY, "26.8")
    tech = factories.make_technician(country_code="KZ")
    cert = certify(tech, ("A1",))

    def imported(cylinder, kg, substance="HFC-134a"):
        return lambda: recording.record_entry(actor, book, entry_data(
            "import", substance=substance, quantity=Decimal(kg), cylinders=[cylinder.serial]))

    assert _refusal(imported(theirs, "1")) == "not_custodian"
    assert _refusal(imported(x, "15")) == "overfill"
    assert _refusal(imported(x, "14")) == "accepted"
    assert _refusal(imported(x, "0.2", "R-404A")) == "substances_mixed"
    unit = eq.register(actor, book, eq.EquipmentData(
        owner_kind="company", owner_name="Shop", site_address="Astana", kind="air_conditioning",
        substance="R-404A", nominal_charge=Decimal("5")))
    recording.record_entry(actor, book, entry_data("import", substance="R-404A", quantity=Decimal("5")))
    assert _refusal(lambda: recording.record_entry(actor, book, entry_data(
        "charge", substance="R-404A", quantity=Decimal("1"), equipment=unit.code, cylinders=[x.serial]))) \
        == "cylinder_substance_differs"
    assert _refusal(lambda: recording.record_entry(actor, book, entry_data(
        "recovery", substance="R-404A", quantity=Decimal("1"), condition="recovered", equipment=unit.code,
        cylinders=[x.serial]))) == "recovery_needs_recovery_cylinder"
    assert _refusal(lambda: recording.record_entry(actor, book, entry_data(
        "recovery", substance="R-404A", quantity=Decimal("1"), condition="recovered", equipment=unit.code,
        cylinders=[r.serial]))) == "accepted"
    # gas recovered into R is never sold as virgin; as recovered it may go
    assert _refusal(lambda: recording.record_entry(actor, book, entry_data(
        "sale", substance="R-404A", quantity=Decimal("1"), buyer_certificate=cert.number,
        cylinders=[r.serial]))) == "recovered_as_virgin"
    assert r.net_kg == Decimal("1")
