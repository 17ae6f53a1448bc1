"""The HS code table (law as data) and the consistency rule of a declared code with the goods."""

from __future__ import annotations

import csv

import pytest

from certreg.errors import ValidationFailed
from certreg.shipments import hscodes
from certreg.shipments.hscodes import HsKind


def _catalogue(name: str) -> list[dict[str, str]]:
    path = hscodes.DATA.parent.parent.parent / "substances" / "data" / f"{name}.csv"
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_table_names_its_source_and_keeps_single_substances_under_2903_and_mixtures_under_3827():
    header = hscodes.DATA.read_text(encoding="utf-8").splitlines()[:8]
    assert any("Harmonized System Nomenclature 2022" in line for line in header)
    table = hscodes.table()
    for digits, row in table.items():
        assert digits == hscodes.digits(row.code) and row.description
        if row.kind is HsKind.SUBSTANCE:
            assert digits.startswith("2903") and len(digits) == 6
        elif row.kind is HsKind.MIXTURE:
            assert digits.startswith("3827") and len(digits) == 6
        else:
            assert row.goods in {"equipment", "extinguisher", "charge"}
    # the equipment and extinguisher headings of the issue
    assert {table["8415"].goods, table["8418"].goods, table["842410"].goods} == {"equipment", "extinguisher"}
    assert table["290371"].description.startswith("Chlorodifluoromethane")


def test_every_controlled_substance_of_the_catalogue_has_its_code_in_the_table_of_the_right_kind():
    for row in _catalogue("substances"):
        if row["controlled"] == "1" and row["hs_code"].startswith("2903"):
            assert hscodes.table()[hscodes.digits(row["hs_code"])].kind is HsKind.SUBSTANCE, row["code"]
    for row in _catalogue("blends"):
        assert hscodes.table()[hscodes.digits(row["hs_code"])].kind is HsKind.MIXTURE, row["code"]


@pytest.mark.parametrize(("code", "product", "blend", "catalogue_code", "refusal"), [
    ("2903.71", False, False, "2903.71", None),
    ("29037100", False, False, "2903.71", None),  # national digits, no dots
    ("2903.72", False, False, "2903.71", "hs_code_mismatch"),  # another substance's subheading
    ("3827.31", False, False, "2903.71", "hs_code_mismatch"),  # a mixture's heading for a single substance
    ("3827.64", False, True, None, None),  # a blend without a catalogue code: any mixture subheading
    ("2903.45", False, True, None, "hs_code_mismatch"),  # ... but not a single substance's
    ("8415.10", False, False, "2903.71", "hs_code_not_substance"),  # equipment declared as bulk gas
    ("8415.10", True, False, "2903.71", None),  # split air conditioners, pre-charged
    ("8424.10.00", True, False, "2903.76", None),  # halon extinguishers
    ("2903.76", True, False, "2903.76", "hs_code_not_product"),  # bulk halon declared as a product
    ("29.03", False, False, "2903.71", "invalid_hs_code"),
    ("ABCDEF", False, False, "2903.71", "invalid_hs_code"),
])
def test_a_declared_code_is_checked_against_the_goods(code, product, blend, catalogue_code, refusal):
    if refusal is None:
        hscodes.check(code, product=product, is_blend=blend, catalogue_code=catalogue_code)
        return
    with pytest.raises(ValidationFailed) as refused:
        hscodes.check(code, product=product, is_blend=blend, catalogue_code=catalogue_code)
    assert refused.value.code == refusal and "hs_code" in refused.value.fields
