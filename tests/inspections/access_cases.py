"""Access cases for inspections and focal points (issue 14 acceptance 3): the country's inspectors write,
its administrators and auditors read, other countries' inspectors see focal points but not inspections."""

from __future__ import annotations

from tests.access import Case, expect

CID = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f0"
NEW = "11111111-2222-4333-8444-555555555555"
SEIZED = "22222222-3333-4444-8555-666666666666"  # an inspection that seized goods: its custody and case forms


def build(world) -> None:
    from certreg.actors import Actor
    from certreg.extensions import db
    from certreg.focalpoints import services as focalpoints
    from certreg.inspections import records, seizures

    focalpoints.save(Actor.system("tests"), "KG", focalpoints.FocalPointData(
        kind="border_post", code="TOROGART", name="Torugart", neighbour_country="CN"))
    world.extra["focal_kz_id"] = focalpoints.save(Actor.system("tests"), "KZ", focalpoints.FocalPointData(
        kind="customs", code="KZ-CUSTOMS", name="State Revenue Committee")).id
    records.start(Actor.of(world.users["inspector"]), "KG", records.InspectionData(
        client_id=CID, started_at="2026-12-01T09:00:00", place_kind="shop", place="Shop 1", officers="Officer",
        subject_kind="company", company_registration=world.company_own.registration_number))
    seized, _ = records.start(Actor.of(world.users["inspector"]), "KG", records.InspectionData(
        client_id=SEIZED, started_at="2026-12-01T10:00:00", place_kind="shop", place="Shop 2", officers="Officer",
        subject_kind="unknown_person", person_details="Seller"))
    seizures.decide(Actor.of(world.users["inspector"]), seized, seizures.DecisionData(
        decision="seizure", storage_place="Store", goods=[seizures.GoodsData("CFC-12", "5")]))
    db.session.commit()


# the list is of the user's own country: KZ's officials see KZ's (none of KG's)
READ = expect(403, anonymous=401, admin=200, inspector=200, auditor=200, kz_admin=200, kz_inspector=200)
WRITE_EMPTY = expect(403, anonymous=401, inspector=422, kz_inspector=422)
ITEM_EMPTY = expect(404, anonymous=401, admin=403, auditor=403, inspector=422)

CASES = [
    Case("GET", lambda w: "/api/v1/inspections", READ, api=True, note="api inspections of the country"),
    Case("GET", lambda w: f"/api/v1/inspections/{CID}", expect(404, anonymous=401, admin=200, inspector=200,
                                                              auditor=200), api=True, note="api one inspection"),
    Case("PUT", lambda w: f"/api/v1/inspections/{NEW}", WRITE_EMPTY, api=True, data=lambda w: {},
         note="api put inspection, nothing sent"),
    Case("PUT", lambda w: f"/api/v1/inspections/{CID}/certificates/{NEW}", ITEM_EMPTY, api=True,
         data=lambda w: {}, note="api certificate check, nothing sent"),
    Case("PUT", lambda w: f"/api/v1/inspections/{CID}/cylinders/{NEW}", ITEM_EMPTY, api=True, data=lambda w: {},
         note="api cylinder check, nothing sent"),
    Case("PUT", lambda w: f"/api/v1/inspections/{CID}/photos/{NEW}", ITEM_EMPTY, api=True,
         headers={"Content-Type": "image/png"}, note="api photo, empty"),
    Case("PUT", lambda w: f"/api/v1/inspections/{CID}/decision", ITEM_EMPTY, api=True, data=lambda w: {},
         note="api decision, nothing sent"),
    Case("PUT", lambda w: f"/api/v1/inspections/{CID}/custody/{NEW}",
         expect(404, anonymous=401, admin=403, auditor=403, inspector=409), api=True, data=lambda w: {},
         note="api custody on an inspection without seizure"),
    Case("PUT", lambda w: f"/api/v1/inspections/{CID}/case/{NEW}",
         expect(404, anonymous=401, admin=403, auditor=403, inspector=409), api=True, data=lambda w: {},
         note="api case on an inspection without seizure"),
    Case("GET", lambda w: "/api/v1/countries/KG/illegal-trade", expect(403, anonymous=401, admin=200, auditor=200),
         api=True, note="api illegal trade report"),
    Case("GET", lambda w: "/api/v1/countries/KG/inspection-figures",
         expect(403, anonymous=401, admin=200, inspector=200, auditor=200), api=True,
         note="api inspections and seizures by border post, substance and month"),
    Case("GET", lambda w: "/api/v1/focal-points", expect(200, anonymous=401, company_user=403, technician=403),
         api=True, note="api focal point directory"),
    Case("GET", lambda w: "/api/v1/focal-points/KG", expect(200), api=True, note="api signed focal points"),
]


def inspection_id(w, client_id: str = CID):
    import sqlalchemy as sa

    from certreg.extensions import db
    from certreg.inspections.models import Inspection

    return db.session.scalar(sa.select(Inspection.id).where(Inspection.client_id == client_id))


def _action_path(action: str):
    client_id = SEIZED if action in ("custody", "case") else CID
    return lambda w: f"/inspections/{inspection_id(w, client_id)}/{action}"


def _page_cases() -> list[Case]:
    ins = "/inspections/{}"

    def focal_id(w, code):
        import sqlalchemy as sa

        from certreg.extensions import db
        from certreg.focalpoints.models import FocalPoint

        return db.session.scalar(sa.select(FocalPoint.id).where(FocalPoint.code == code))

    readers = expect(403, anonymous=302, admin=200, inspector=200, auditor=200, kz_admin=200, kz_inspector=200)
    detail = expect(404, anonymous=302, admin=200, inspector=200, auditor=200)
    post_empty = expect(404, anonymous=302, admin=403, auditor=403, inspector=422)
    officials = expect(200, anonymous=302, company_user=403, technician=403)
    return [
        Case("GET", lambda w: "/inspections", readers, note="inspections of the country"),
        Case("GET", lambda w: "/inspections/new", expect(403, anonymous=302, inspector=200, kz_inspector=200),
             note="start an inspection"),
        Case("POST", lambda w: "/inspections/new", expect(403, anonymous=302, inspector=422, kz_inspector=422),
             note="start an inspection, nothing sent"),
        Case("GET", lambda w: ins.format(inspection_id(w)), detail, note="an inspection"),
        Case("GET", lambda w: ins.format(inspection_id(w, SEIZED)), detail, note="an inspection that seized goods"),
        *[Case("POST", _action_path(action), post_empty, note=f"inspection {action}, nothing sent")
          for action in ("cylinders", "certificates", "photos", "decision", "custody", "case")],
        Case("GET", lambda w: "/inspections/photos/999999", expect(404, anonymous=302), note="a photo"),
        Case("GET", lambda w: "/inspections/offline", expect(403, anonymous=302, inspector=200, kz_inspector=200),
             note="the offline inspection form and queue"),
        Case("GET", lambda w: "/inspections/sync/token", expect(403, anonymous=302, inspector=200, kz_inspector=200),
             note="a token for the queue's sync"),
        Case("PUT", lambda w: f"/inspections/sync/{NEW}", expect(403, anonymous=302, inspector=422, kz_inspector=422),
             note="sync a queued inspection, nothing sent"),
        Case("GET", lambda w: "/inspections/dashboard", readers,
             note="inspections and seizures by border post, substance and month"),
        Case("GET", lambda w: "/inspections/outcomes", expect(403, anonymous=302, company_user=200, technician=200),
             note="a holder's inspection outcomes"),
        Case("GET", lambda w: "/inspections/illegal-trade.csv",
             expect(403, anonymous=302, admin=200, auditor=200, kz_admin=200), note="illegal trade csv"),
        Case("GET", lambda w: "/focal-points", officials, note="focal point directory"),
        Case("GET", lambda w: "/focal-points/new", expect(403, anonymous=302, admin=200, kz_admin=200),
             note="add a focal point"),
        Case("POST", lambda w: "/focal-points/new", expect(403, anonymous=302, admin=422, kz_admin=422),
             note="add a focal point, nothing sent"),
        Case("GET", lambda w: f"/focal-points/{focal_id(w, 'TOROGART')}/edit",
             expect(403, anonymous=302, admin=200, company_user=403, technician=403), note="change a focal point"),
        Case("POST", lambda w: f"/focal-points/{focal_id(w, 'TOROGART')}/edit",
             expect(403, anonymous=302, admin=422), note="change a focal point, nothing sent"),
        # KZ's own entry: only KZ's administrator removes it (the last roles run after its removal see 404)
        Case("POST", lambda w: f"/focal-points/{w.focal_kz_id}/delete",
             expect(403, anonymous=302, kz_admin=302, kz_inspector=404), note="remove a focal point"),
    ]


CASES += _page_cases()
