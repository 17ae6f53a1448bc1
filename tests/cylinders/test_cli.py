"""``flask cylinders register|import|label``."""

from __future__ import annotations

import sqlalchemy as sa

from certreg.cylinders.models import Cylinder
from certreg.extensions import db
from tests.factories import ensure_keys, make_company


def test_register_import_and_label(app, tmp_path):
    ensure_keys("KG")
    owner = make_company(country_code="KG")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["cylinders", "register", "--owner", str(owner.id), "--kind", "refillable",
                                 "--capacity", "13.6", "--tare", "6.5", "--substance", "HFC-134a", "--net-kg", "12"])
    assert result.exit_code == 0, result.output
    serial = result.output.strip().splitlines()[-1]
    assert db.session.scalar(sa.select(Cylinder.net_kg).where(Cylinder.serial == serial)) == 12

    good = tmp_path / "fleet.csv"
    good.write_text("owner_company_id,kind,water_capacity_l,tare_kg,substance,net_kg\n"
                    f"{owner.id},refillable,13.6,6.5,HFC-134a,10\n{owner.id},recovery,26.8,13,,\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("owner_company_id,kind,water_capacity_l,tare_kg,substance,net_kg\n"
                   f"{owner.id},refillable,13.6,6.5,HFC-134a,10\n{owner.id},refillable,13.6,6.5,HFC-134a,15\n")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Cylinder))
    result = runner.invoke(args=["cylinders", "import", str(bad)])
    assert result.exit_code == 1 and "line 3" in result.output and "overfill" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Cylinder)) == before  # all or nothing
    result = runner.invoke(args=["cylinders", "import", str(good)])
    assert result.exit_code == 0 and "2 cylinder(s) registered" in result.output

    pdf = tmp_path / "label.pdf"
    result = runner.invoke(args=["cylinders", "label", serial, "-o", str(pdf)])
    assert result.exit_code == 0 and pdf.read_bytes().startswith(b"%PDF")
