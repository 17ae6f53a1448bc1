"""``flask focalpoints import`` (all or nothing, per-line errors), the identifier verdicts and their data file."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.extensions import db
from certreg.focalpoints.models import FocalPoint
from certreg.inspections import readings
from certreg.inspections.models import ReadingVerdict


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


HEADER = "country,kind,code,name,post,contact_name,languages,phone,email,hours,neighbour_country\n"


def test_import_all_lines(runner, tmp_path):
    path = tmp_path / "fp.csv"
    path.write_text(HEADER + "KZ,border_post,KHORGOS,Khorgos,,,\"kk, ru, zh\",+7 7282 000000,,24/7,CN\n"
                    "KG,customs,KG-CUSTOMS,State Customs Service,Head of unit,A. Bekov,\"ky, ru\",,c@example.kg,,\n",
                    encoding="utf-8")
    result = runner.invoke(args=["focalpoints", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported 2" in result.output
    assert {f.code for f in db.session.scalars(sa.select(FocalPoint))} >= {"KHORGOS", "KG-CUSTOMS"}


def test_import_refuses_everything_when_a_line_is_wrong(runner, tmp_path):
    path = tmp_path / "fp.csv"
    path.write_text(HEADER + "KZ,border_post,DOSTYK,Dostyk,,,,,,,CN\n"
                    "KZ,moon_base,X,X,,,,,,,\n"
                    "ZZ,customs,Y,Y,,,,,,,\n", encoding="utf-8")
    result = runner.invoke(args=["focalpoints", "import", str(path)])
    assert result.exit_code != 0
    assert "line 3" in result.output and "line 4" in result.output
    assert db.session.scalar(sa.select(FocalPoint).where(FocalPoint.code == "DOSTYK")) is None


def test_thresholds_are_the_documented_figures():
    limits = readings.thresholds()
    assert limits.purity_pass_percent == Decimal(98)
    assert limits.hydrocarbon_alarm_percent == Decimal(2)
    assert limits.air_inconclusive_percent == Decimal(90)
    text = readings.DATA.with_name("SOURCES.md").read_text(encoding="utf-8")
    assert "SAE J2912" in text and "SAE J2927" in text


D = Decimal


@pytest.mark.parametrize(("declared", "reading", "verdict", "found"), [
    ("HFC-134a", readings.Reading(r134a=D("99.2"), r12=D("0.3"), air=D("1")), ReadingVerdict.MATCHES_LABEL,
     "HFC-134a"),
    ("HFC-134a", readings.Reading(r134a=D("98"), air=D("0")), ReadingVerdict.MATCHES_LABEL, "HFC-134a"),
    ("HFC-134a", readings.Reading(r12=D("99.1"), r134a=D("0.5")), ReadingVerdict.MISMATCH, "CFC-12"),
    ("HFC-134a", readings.Reading(r12=D("70"), r134a=D("30")), ReadingVerdict.MISMATCH, "CFC-12"),
    ("HFC-134a", readings.Reading(r134a=D("95"), hydrocarbons=D("5")), ReadingVerdict.CONTAMINATED, None),
    ("HFC-134a", readings.Reading(r134a=D("97.9"), hydrocarbons=D("2")), ReadingVerdict.CONTAMINATED, None),
    ("HCFC-22", readings.Reading(r22=D("60"), r134a=D("40")), ReadingVerdict.CONTAMINATED, None),
    ("HFC-134a", readings.Reading(r134a=D("99"), air=D("95")), ReadingVerdict.INCONCLUSIVE, None),
    ("R-404A", readings.Reading(r134a=D("99")), ReadingVerdict.INCONCLUSIVE, None),
    ("HFC-134a", readings.Reading(), ReadingVerdict.INCONCLUSIVE, None),
])
def test_verdicts(declared, reading, verdict, found):
    assessment = readings.assess(declared, reading)
    assert (assessment.verdict, assessment.found_substance) == (verdict, found)
