"""The label scan page is a kept shell and kept facts with each scan's own values put in: no cylinder's or
label's facts ever show on another's page, whatever was rendered before (certreg.cylinders.views._facts)."""

from __future__ import annotations

from certreg.actors import Actor
from certreg.cylinders import custody
from certreg.extensions import db
from certreg.vocabulary import Role
from tests.conftest import login
from tests.cylinders.builders import make_cylinder
from tests.factories import make_company, make_user


def test_each_scan_shows_its_own_cylinder_and_label_on_the_kept_page(app, client):
    first = make_cylinder(make_company(country_code="KG", activities=["importer", "dealer"],
                                       legal_name="ОсОО «Ош <Суук>»"), kg="12")
    second = make_cylinder(make_company(country_code="KG", activities=["importer", "dealer"],
                                        legal_name="ОсОО «Нарын Муз»"), kg="7.5")
    db.session.commit()
    for language in ("en", "ru", "en"):
        pages = {c.token: client.get(f"/c/{c.token}", headers={"Accept-Language": language}).text
                 for c in (first, second, first)}
        for cylinder, other, name, kg in ((first, second, "ОсОО «Ош &lt;Суук&gt;»", "12.000"),
                                          (second, first, "ОсОО «Нарын Муз»", "7.500")):  # as the ORM's Decimal
            page = pages[cylinder.token]
            assert 'data-verdict="genuine"' in page and f'lang="{language}"' in page
            assert cylinder.serial in page and name in page and f"HFC-134a, {kg}" in page
            assert other.serial not in page and "\x00" not in page and page.count("<html") == 1
        assert "Нарын" not in pages[first.token] and "Ош" not in pages[second.token]
    assert app.extensions["certreg_scan_facts"] and app.extensions["certreg_scan_shells"]


def test_a_destruction_and_an_inspector_change_the_kept_page_at_once(client):
    cylinder = make_cylinder()
    db.session.commit()
    page = client.get(f"/c/{cylinder.token}").text
    assert 'id="warnings"' not in page and "Record this in an inspection" not in page
    custody.destroy(Actor.system("test"), cylinder)
    db.session.commit()
    page = client.get(f"/c/{cylinder.token}").text
    assert 'id="warnings"' in page and "was destroyed" in page
    login(client, make_user(Role.INSPECTOR, "KG"))
    page = client.get(f"/c/{cylinder.token}").text
    assert "Record this in an inspection" in page and f"serial={cylinder.serial}" in page
    offline = client.get("/verify/cylinder-offline").text
    assert 'data-mode="offline"' in offline and "data-verdict" not in offline and cylinder.serial not in offline
