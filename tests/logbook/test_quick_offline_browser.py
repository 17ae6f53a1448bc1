"""The technician's offline quick entry in headless Chromium at a phone's viewport (issue 14): one online visit,
then with the network off an equipment label scanned (/e/<id>) opens the kept quick entry; a charge, a
recovery and a charge of more than the technician holds are kept on the phone; when the network returns the
first two sync exactly once (also when the sync is repeated) and the third is shown refused with its code,
nothing of it written."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from axe_playwright_python.base import AXE_SCRIPT
from werkzeug.serving import make_server

from certreg.actors import Actor
from certreg.extensions import db
from certreg.logbook import equipment as eq
from certreg.logbook import holders, recording
from certreg.logbook.models import Entry, EntryKind, Intervention
from certreg.vocabulary import HolderKind, Role
from tests import dbutil, factories
from tests.browser import CHROMIUM, CHROMIUM_ARGS, second_step
from tests.conftest import make_test_app
from tests.logbook.conftest import entry_data

playwright_sync = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.live, pytest.mark.browser]
PHONE = {"viewport": {"width": 412, "height": 915}, "is_mobile": True, "has_touch": True}
AXE_OPTIONS = {"resultTypes": ["violations"], "runOnly": {"type": "tag", "values": [
    "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}


@pytest.fixture(scope="module")
def served() -> Iterator[dict]:
    url = dbutil.fresh_database("quick_offline")
    app = make_test_app(url)
    dbutil.upgrade(app)
    with app.app_context():
        record = factories.make_technician(country_code="KG")
        factories.make_certificate(record, categories=("A1",), valid_from=date.today() - timedelta(days=30))
        user = factories.make_user(Role.TECHNICIAN, "KG", technician=record)
        actor = Actor.of(user)
        who = holders.holder(HolderKind.TECHNICIAN, record.id)
        recording.record_entry(actor, who, entry_data("purchase", substance="R-404A", quantity=Decimal("10"),
                                                      counterparty_name="Registered dealer"))
        unit = eq.register(actor, who, eq.EquipmentData(
            owner_kind="company", owner_name="Narodny 12", site_address="Bishkek, roof",
            kind="commercial_refrigeration", substance="R-404A", nominal_charge=Decimal("8")))
        data = {"email": user.email, "totp": user.totp_secret, "code": unit.code}
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    data["base"], data["app"] = f"http://127.0.0.1:{server.server_port}", app
    try:
        yield data
    finally:
        server.shutdown()
        thread.join(10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        dbutil.drop_database(url)


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(sa.select(sa.func.count()).select_from(Intervention)
                                  .where(Intervention.client_id.is_not(None))),
                db.session.scalar(sa.select(sa.func.count()).select_from(Entry)
                                  .where(Entry.kind.in_([EntryKind.CHARGE, EntryKind.RECOVERY]))))


def _record(page, kind: str, kg: str, nth: int) -> None:
    page.check(f"#offline-quick input[name=kind][value={kind}]")
    page.fill("#o-quantity", kg)
    page.click("#offline-quick button[type=submit]")
    page.locator("#queue li.queue-pending").nth(nth).wait_for(timeout=10_000)


def test_offline_quick_entries_sync_exactly_once(served):
    base, app, code = served["base"], served["app"], served["code"]
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-GB", **PHONE)
        context.add_init_script(AXE_SCRIPT)
        try:
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill("#email", served["email"])
            page.fill("#password", factories.PASSWORD)
            page.click("button[type=submit]")
            second_step(page, served["totp"])
            page.wait_for_url(f"{base}/")
            page.goto(f"{base}/logbook/quick/offline")
            page.wait_for_selector('#offline-quick[data-kept="yes"]', timeout=20_000)

            context.set_offline(True)
            page.goto(f"{base}/e/{code}")  # the label scanned on the roof: the kept quick entry
            page.wait_for_selector('#offline-quick[data-ready="yes"]', timeout=20_000)
            assert page.input_value("#o-equipment") == code
            assert page.input_value("#o-operation_date") == date.today().isoformat()
            _record(page, "charge", "2.5", 0)
            assert page.input_value("#o-equipment") == code  # kept for the next entry on the unit
            _record(page, "recovery", "1.2", 1)
            _record(page, "charge", "40", 2)  # more than the technician holds
            assert _counts(app) == (0, 0)

            context.set_offline(False)
            page.click("#sync-now")
            page.locator("#queue li.queue-synced").nth(1).wait_for(timeout=20_000)
            page.wait_for_selector("#queue li.queue-refused", timeout=20_000)
            refused = page.inner_text("#queue li.queue-refused")
            assert "insufficient_stock" in refused and "40 kg" in refused
            # the queue with a refused entry, as the technician sees it: no serious or critical axe violation
            result = page.evaluate("(options) => axe.run(document, options)", AXE_OPTIONS)
            assert [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")] == []
            assert _counts(app) == (2, 2)

            # a queued entry sent again (a repeated or interrupted sync): recorded once
            client_id = page.get_attribute("#queue li.queue-synced >> nth=0", "data-client-id")
            again = page.evaluate("""async (id) => {
                const token = (await (await fetch('/logbook/quick/sync/token')).json()).csrf_token
                const db = await new Promise((ok) => { const r = indexedDB.open('certreg-quick-entries', 1);
                                                       r.onsuccess = () => ok(r.result) })
                const item = await new Promise((ok) => { const r = db.transaction('queue').objectStore('queue')
                                                          .get(id); r.onsuccess = () => ok(r.result) })
                const answer = await fetch('/logbook/quick/sync/' + id, {method: 'PUT', body: JSON.stringify(item.body),
                    headers: {'Content-Type': 'application/json', 'X-CSRFToken': token}})
                return answer.status }""", client_id)
            assert again == 200
            page.click("#sync-now")  # nothing pending: nothing sent
            assert _counts(app) == (2, 2)
            with app.app_context():
                rows = db.session.execute(sa.select(Entry.kind, Entry.quantity, Entry.condition)
                                          .where(Entry.kind.in_([EntryKind.CHARGE, EntryKind.RECOVERY]))
                                          .order_by(Entry.id)).all()
            assert [(k.value, q, c.value) for k, q, c in rows] == [
                ("charge", Decimal("2.500"), "virgin"), ("recovery", Decimal("1.200"), "recovered")]
        finally:
            context.close()
            browser.close()
