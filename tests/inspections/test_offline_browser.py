"""The inspector's offline queue in headless Chromium at a phone's viewport (issue 14 acceptance 1):
one online visit, then with the network off an inspection with two cylinder readings, a photo and its
decision (a seizure with two goods lines) is kept on the phone; when the network returns it syncs
exactly once (also when the sync is repeated); the shipment is named by its customs declaration
number, checked at sync; refused inspections (unknown border post; a seizure with no storage place; a
declaration number not in the register) are shown to the inspector with their codes and nothing of
them is written."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.serving import make_server

from certreg.actors import Actor
from certreg.extensions import db
from certreg.focalpoints import services as focalpoints
from certreg.inspections.models import (
    CaseEvent,
    CustodyHandover,
    CylinderCheck,
    Decision,
    Inspection,
    Photo,
    SeizedGoods,
    Seizure,
)
from certreg.vocabulary import Role
from tests import dbutil
from tests.browser import CHROMIUM, CHROMIUM_ARGS, second_step
from tests.conftest import make_test_app
from tests.factories import PASSWORD, make_user
from tests.inspections.builders import recorded_shipment

playwright_sync = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.live, pytest.mark.browser]
PHONE = {"viewport": {"width": 412, "height": 915}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[dict]:
    url = dbutil.fresh_database("inspections_offline")
    app = make_test_app(url, INSPECTION_PHOTOS_DIR=str(tmp_path_factory.mktemp("photos")))
    dbutil.upgrade(app)
    with app.app_context():
        focalpoints.save(Actor.system("test"), "KZ", focalpoints.FocalPointData(
            kind="border_post", code="KHORGOS", name="Khorgos", neighbour_country="CN"))
        recorded_shipment("DT-KZ-OFF-1")
        inspector = make_user(Role.INSPECTOR, "KZ")
        data = {"email": inspector.email, "totp": inspector.totp_secret}
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


def _count(app, model, **where) -> int:
    with app.app_context():
        query = sa.select(sa.func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return db.session.scalar(query)


def _fill(page, border_post: str, photo: str | None, storage: str | None = None,
          declaration: str = "DT-KZ-OFF-1", steps: bool = False) -> None:
    page.fill("#q-officers", "S. Abenov; A. Nurlanova")
    page.select_option("#q-place_kind", "border_post")
    page.fill("#q-border_post", border_post)
    page.select_option("#q-subject_kind", "shipment")
    page.fill("#q-shipment_declaration", declaration)
    for n, (r12, r134a) in enumerate((("98.9", "0.6"), ("0.2", "99.5")), start=1):
        page.fill(f"#c{n}-label_substance", "R-134a")
        page.fill(f"#c{n}-instrument_model", "Ultima ID")
        page.fill(f"#c{n}-instrument_serial", "U-7")
        page.fill(f"#c{n}-calibration_date", "2026-10-01")
        page.fill(f"#c{n}-r12_percent", r12)
        page.fill(f"#c{n}-r134a_percent", r134a)
        page.fill(f"#c{n}-air_percent", "1.0")
    if photo:
        page.set_input_files("#q-photo", photo)
    if storage is not None:  # the decision: a seizure of the CFC-12 found under the R-134a label
        page.select_option("#d-decision", "seizure")
        page.fill("#d-note", "CFC-12 under an R-134a label")
        page.fill("#d-storage_place", storage)
        page.fill("#d1-substance", "CFC-12")
        page.fill("#d1-kg", "13.6")
        page.fill("#d1-cylinders", "1")
        page.fill("#d3-substance", "HCFC-22")  # a second goods line, after an empty one
        page.fill("#d3-kg", "4.2")
    if steps:  # the goods handed to the store keeper, and the fine, recorded on the spot
        page.fill("#h-handed_at", "2026-12-01 12:00")
        page.fill("#h-from_party", "S. Abenov")
        page.fill("#h-to_party", "Khorgos store keeper")
        page.fill("#h-place", "Khorgos customs store")
        page.select_option("#k-kind", "fine")
        page.fill("#k-happened_on", "2026-12-01")
        page.fill("#k-amount", "150000")
        page.fill("#k-currency", "KZT")
    page.click("#offline-inspection button[type=submit]")


def test_offline_inspection_syncs_exactly_once(served, tmp_path):
    photo = tmp_path / "label.jpg"
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "blue").save(out, "JPEG")
    photo.write_bytes(out.getvalue())
    base, app = served["base"], served["app"]
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-GB", **PHONE)
        try:
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill("#email", served["email"])
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            second_step(page, served["totp"])
            page.wait_for_url(f"{base}/")
            page.goto(f"{base}/inspections/offline")
            page.wait_for_selector('#offline-inspection[data-kept="yes"]', timeout=20_000)

            context.set_offline(True)
            page.goto(f"{base}/inspections/offline")  # from the service worker's copy
            page.wait_for_selector('#offline-inspection[data-ready="yes"]', timeout=20_000)
            _fill(page, "KHORGOS", str(photo), storage="Khorgos customs store", steps=True)
            page.wait_for_selector("#queue li.queue-pending", timeout=10_000)
            assert page.input_value("#d-decision") == ""  # the form is fresh for the next inspection
            _fill(page, "NOWHERE", None)
            page.locator("#queue li.queue-pending").nth(1).wait_for(timeout=10_000)
            _fill(page, "KHORGOS", None, storage="")
            page.locator("#queue li.queue-pending").nth(2).wait_for(timeout=10_000)
            _fill(page, "KHORGOS", None, declaration="DT-KZ-TYPO")  # checked against the register at sync
            page.locator("#queue li.queue-pending").nth(3).wait_for(timeout=10_000)
            assert _count(app, Inspection) == 0

            context.set_offline(False)
            page.click("#sync-now")
            page.wait_for_selector("#queue li.queue-synced", timeout=20_000)
            page.locator("#queue li.queue-refused").nth(2).wait_for(timeout=20_000)
            refused = page.inner_text("#queue li.queue-refused >> nth=0")
            assert "No border post with this code" in refused and "unknown_border_post" in refused
            assert "storage_required" in page.inner_text("#queue li.queue-refused >> nth=1")
            typo = page.inner_text("#queue li.queue-refused >> nth=2")
            assert "No shipment with this customs declaration number" in typo and "unknown_shipment" in typo
            assert _count(app, Inspection) == 1
            with app.app_context():
                synced = db.session.scalar(sa.select(Inspection))
                assert synced.shipment is not None and synced.shipment.declaration_number == "DT-KZ-OFF-1"
            assert _count(app, CylinderCheck) == 2 and _count(app, Photo) == 1
            assert _count(app, Seizure) == 1 and _count(app, SeizedGoods) == 2
            assert _count(app, Inspection, decision=Decision.SEIZURE) == 1
            with app.app_context():
                lines = sorted((g.substance_code, str(g.kg)) for g in db.session.scalars(sa.select(SeizedGoods)))
            assert lines == [("CFC-12", "13.600"), ("HCFC-22", "4.200")]
            assert _count(app, CustodyHandover, to_party="Khorgos store keeper") == 1
            assert _count(app, CaseEvent, currency="KZT") == 1

            # the same queued inspection sent again (a repeated or interrupted sync): recorded once
            client_id = page.get_attribute("#queue li.queue-synced", "data-client-id")
            again = page.evaluate("""async (id) => {
                const token = (await (await fetch('/inspections/sync/token')).json()).csrf_token
                const db = await new Promise((ok) => { const r = indexedDB.open('certreg-inspections', 1);
                                                       r.onsuccess = () => ok(r.result) })
                const item = await new Promise((ok) => { const r = db.transaction('queue').objectStore('queue')
                                                          .get(id); r.onsuccess = () => ok(r.result) })
                const answer = await fetch('/inspections/sync/' + id, {method: 'PUT', body: JSON.stringify(item.body),
                    headers: {'Content-Type': 'application/json', 'X-CSRFToken': token}})
                return answer.status }""", client_id)
            assert again == 200
            assert _count(app, Inspection) == 1 and _count(app, CylinderCheck) == 2 and _count(app, Photo) == 1
            assert _count(app, Seizure) == 1 and _count(app, SeizedGoods) == 2
            assert _count(app, CustodyHandover) == 1 and _count(app, CaseEvent) == 1
            with app.app_context():
                verdicts = sorted(c.verdict.value for c in db.session.scalars(sa.select(CylinderCheck)))
            assert verdicts == ["matches_label", "mismatch"]
        finally:
            context.close()
            browser.close()
