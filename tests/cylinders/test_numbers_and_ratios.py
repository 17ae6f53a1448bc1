"""National serials, GRAIs and the maximum filling ratio table."""

from __future__ import annotations

from decimal import Decimal

import pytest

from certreg.cylinders import numbers
from certreg.cylinders.ratios import filling_ratios, max_fill_kg
from certreg.substances.services import get as get_substance

#: ADR 2023, 4.1.4.1 P200 Table 2, transcribed a second time for this test:
#: substance -> (UN number, test pressure bar, filling ratio kg/l). See data/SOURCES.md.
P200_TABLE_2 = {
    "CFC-12": ("1028", 16, "1.15"), "CFC-13": ("1022", 100, "0.83"), "CFC-114": ("1958", 10, "1.30"),
    "CFC-115": ("1020", 25, "1.05"), "halon-1301": ("1009", 42, "1.13"), "HCFC-22": ("1018", 27, "1.03"),
    "HCFC-124": ("1021", 11, "1.20"), "HCFC-142b": ("2517", 10, "0.99"), "HFC-23": ("1984", 190, "0.88"),
    "HFC-32": ("3252", 48, "0.78"), "HFC-125": ("3220", 35, "0.87"), "HFC-134a": ("3159", 22, "1.04"),
    "HFC-143a": ("2035", 35, "0.73"), "HFC-152a": ("1030", 18, "0.79"), "HFC-227ea": ("3296", 13, "1.21"),
    "R-404A": ("3337", 36, "0.82"), "R-407A": ("3338", 32, "0.94"), "R-407C": ("3340", 30, "0.95"),
    "R-290": ("1978", 23, "0.43"), "R-600": ("1011", 10, "0.52"), "R-600a": ("1969", 10, "0.49"),
    "R-1270": ("1077", 27, "0.43"), "R-717": ("1005", 29, "0.54"), "R-744": ("1013", 190, "0.68"),
}


def test_national_serial_has_a_damm_check_digit_and_parses_tolerantly():
    serial = numbers.format_serial("KZ", 123)
    assert serial.startswith("KZ-C-000123-")
    assert numbers.parse_serial(serial.lower().replace("-", " ")) == serial
    wrong = serial[:-1] + str((int(serial[-1]) + 1) % 10)
    with pytest.raises(ValueError, match="check digit"):
        numbers.parse_serial(wrong)
    swapped = "KZ-C-000132-" + serial[-1]  # adjacent digits transposed
    assert not numbers.is_national_serial(swapped)


def test_grai_check_digit():
    body = "401234567890"
    grai = "0" + body + numbers.gs1_check_digit(body)
    assert numbers.parse_grai(f"(8003){grai}CYL-7") == grai + "CYL-7"
    with pytest.raises(ValueError, match="check digit"):
        numbers.parse_grai("0" + body + str((int(grai[-1]) + 1) % 10))


def test_filling_ratio_table_matches_the_transcribed_source():
    table = filling_ratios()
    assert {code: (row.un_number, row.test_pressure_bar, str(row.ratio)) for code, row in table.items()} \
        == P200_TABLE_2


def test_every_row_names_a_catalogue_substance():
    for code in filling_ratios():
        assert get_substance(code).code == code


def test_max_fill():
    assert max_fill_kg("HFC-134a", Decimal("13.6")) == Decimal("14.144")
    assert max_fill_kg("R-410A", Decimal("10")) is None
