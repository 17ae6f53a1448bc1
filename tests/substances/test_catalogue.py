"""Tests for the controlled-substance catalogue.

Expected values are typed in by hand from the Montreal Protocol annexes
(Handbook for the Montreal Protocol, Annexes A, B, C, E, F) and from ASHRAE 34
blend compositions; see certreg/substances/data/SOURCES.md.
"""

from __future__ import annotations

import shutil
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run without the project conftest / install
    sys.path.insert(0, str(ROOT))

from certreg.substances.catalogue import (  # noqa: E402
    DATA_DIR,
    Blend,
    Catalogue,
    CatalogueError,
    Substance,
    components_by_mass,
    normalize,
)

D = Decimal


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return Catalogue.load()


# --------------------------------------------------------------------------- ODP
# (code, ODP exactly as printed in the annex)
ANNEX_ODPS = [
    # Annex A group I / II
    ("CFC-11", "1.0"),
    ("CFC-12", "1.0"),
    ("CFC-113", "0.8"),
    ("CFC-114", "1.0"),
    ("CFC-115", "0.6"),
    ("halon-1211", "3.0"),
    ("halon-1301", "10.0"),
    ("halon-2402", "6.0"),
    # Annex B
    ("CFC-13", "1.0"),
    ("CFC-111", "1.0"),
    ("CFC-112", "1.0"),
    ("CFC-211", "1.0"),
    ("CFC-212", "1.0"),
    ("CFC-213", "1.0"),
    ("CFC-214", "1.0"),
    ("CFC-215", "1.0"),
    ("CFC-216", "1.0"),
    ("CFC-217", "1.0"),
    ("CTC", "1.1"),
    ("methyl-chloroform", "0.1"),
    # Annex C group I: single values and the "**" commercially viable isomers
    ("HCFC-21", "0.04"),
    ("HCFC-22", "0.055"),
    ("HCFC-31", "0.02"),
    ("HCFC-123", "0.02"),
    ("HCFC-124", "0.022"),
    ("HCFC-141b", "0.11"),
    ("HCFC-142b", "0.065"),
    ("HCFC-225ca", "0.025"),
    ("HCFC-225cb", "0.033"),
    # Annex C group I isomer groups: upper value of the printed range
    ("HCFC-121", "0.04"),  # 0.01-0.04
    ("HCFC-122", "0.08"),  # 0.02-0.08
    ("HCFC-123-isomers", "0.06"),  # 0.02-0.06
    ("HCFC-124-isomers", "0.04"),  # 0.02-0.04
    ("HCFC-141", "0.07"),  # 0.005-0.07
    ("HCFC-142", "0.07"),  # 0.008-0.07
    ("HCFC-151", "0.005"),  # 0.003-0.005
    ("HCFC-225", "0.07"),  # 0.02-0.07
    ("HCFC-226", "0.10"),  # 0.02-0.10
    ("HCFC-233", "0.23"),  # 0.007-0.23
    ("HCFC-235", "0.52"),  # 0.03-0.52
    ("HCFC-271", "0.03"),  # 0.001-0.03
    # Annex C group II and III
    ("HBFC-21B2", "1.00"),
    ("HBFC-22B1", "0.74"),
    ("HBFC-31B1", "0.73"),
    ("bromochloromethane", "0.12"),
    # Annex E
    ("methyl-bromide", "0.6"),
]


@pytest.mark.parametrize("code,odp", ANNEX_ODPS)
def test_odp_exactly_as_annex(cat, code, odp):
    sub = cat.get(code)
    assert isinstance(sub.odp, Decimal)
    assert sub.odp == D(odp)
    assert str(sub.odp) == odp  # same digits as printed, e.g. "10.0", "1.00"


def test_headline_odps(cat):
    assert cat.get("CFC-11").odp == D("1.0")
    assert cat.get("halon-1301").odp == D("10.0")
    assert cat.get("HCFC-22").odp == D("0.055")
    assert cat.get("methyl-bromide").odp == D("0.6")
    assert cat.get("CTC").odp == D("1.1")


def test_hfcs_and_alternatives_have_zero_odp(cat):
    for sub in cat.substances():
        if sub.annex == "F" or not sub.controlled:
            assert sub.odp == 0, sub.code


# --------------------------------------------------------------------------- GWP
# Annex F as listed in the Kigali Amendment.
KIGALI_GWPS = [
    ("HFC-134", 1100, "I"),
    ("HFC-134a", 1430, "I"),
    ("HFC-143", 353, "I"),
    ("HFC-245fa", 1030, "I"),
    ("HFC-365mfc", 794, "I"),
    ("HFC-227ea", 3220, "I"),
    ("HFC-236cb", 1340, "I"),
    ("HFC-236ea", 1370, "I"),
    ("HFC-236fa", 9810, "I"),
    ("HFC-245ca", 693, "I"),
    ("HFC-43-10mee", 1640, "I"),
    ("HFC-32", 675, "I"),
    ("HFC-125", 3500, "I"),
    ("HFC-143a", 4470, "I"),
    ("HFC-41", 92, "I"),
    ("HFC-152", 53, "I"),
    ("HFC-152a", 124, "I"),
    ("HFC-23", 14800, "II"),
]


@pytest.mark.parametrize("code,gwp,group", KIGALI_GWPS)
def test_annex_f_gwp(cat, code, gwp, group):
    sub = cat.get(code)
    assert (sub.annex, sub.group, sub.controlled) == ("F", group, True)
    assert sub.gwp == D(gwp)


def test_annex_f_is_complete(cat):
    annex_f = {s.code for s in cat.substances() if s.annex == "F"}
    assert annex_f == {code for code, _, _ in KIGALI_GWPS}


def test_headline_gwps(cat):
    assert cat.get("HFC-134a").gwp == 1430
    assert cat.get("HFC-23").gwp == 14800
    assert cat.get("HFC-32").gwp == 675


# GWP column added to Annex A group I and Annex C group I by the Kigali Amendment.
@pytest.mark.parametrize(
    "code,gwp",
    [
        ("CFC-11", 4750),
        ("CFC-12", 10900),
        ("CFC-113", 6130),
        ("CFC-114", 10000),
        ("CFC-115", 7370),
        ("HCFC-21", 151),
        ("HCFC-22", 1810),
        ("HCFC-123", 77),
        ("HCFC-124", 609),
        ("HCFC-141b", 725),
        ("HCFC-142b", 2310),
        ("HCFC-225ca", 122),
        ("HCFC-225cb", 595),
    ],
)
def test_annex_a_and_c_gwp(cat, code, gwp):
    assert cat.get(code).gwp == D(gwp)


def test_annex_c_group_i_without_gwp_defaults_to_zero(cat):
    # Annex C footnote: no GWP indicated -> default value 0.
    for code in ("HCFC-31", "HCFC-141", "HCFC-142", "HCFC-225", "HCFC-271"):
        assert cat.get(code).gwp == 0


def test_unknown_gwp_is_none_not_zero(cat):
    for code in ("CFC-111", "CFC-217", "HBFC-22B1", "bromochloromethane"):
        assert cat.get(code).gwp is None


def test_ar4_gwps_for_information(cat):
    assert cat.get("halon-1301").gwp == 7140
    assert cat.get("CTC").gwp == 1400
    assert cat.get("methyl-chloroform").gwp == 146
    assert cat.get("methyl-bromide").gwp == 5
    assert cat.get("CFC-13").gwp == 14400


def test_numbers_are_decimals_never_floats(cat):
    for entry in cat.all():
        assert isinstance(entry.odp, Decimal), entry.code
        assert entry.gwp is None or isinstance(entry.gwp, Decimal), entry.code
    for blend in cat.blends():
        for _, fraction in blend.components:
            assert isinstance(fraction, Decimal)


# --------------------------------------------------------------------------- coverage
REQUIRED = {
    "A/I": ["CFC-11", "CFC-12", "CFC-113", "CFC-114", "CFC-115"],
    "A/II": ["halon-1211", "halon-1301", "halon-2402"],
    "B/I": ["CFC-13", "CFC-111", "CFC-112", "CFC-211", "CFC-212", "CFC-213", "CFC-214", "CFC-215", "CFC-216",
            "CFC-217"],
    "B/II": ["CTC"],
    "B/III": ["methyl-chloroform"],
    "C/I": ["HCFC-21", "HCFC-22", "HCFC-123", "HCFC-124", "HCFC-141b", "HCFC-142b", "HCFC-225ca", "HCFC-225cb"],
    "C/II": ["HBFC-21B2", "HBFC-22B1"],
    "C/III": ["bromochloromethane"],
    "E/I": ["methyl-bromide"],
    "F/II": ["HFC-23"],
}

REQUIRED_BLENDS = [
    "R-401A", "R-401B", "R-401C", "R-402A", "R-402B", "R-403B", "R-404A", "R-406A", "R-407A", "R-407C",
    "R-407F", "R-408A", "R-409A", "R-410A", "R-413A", "R-417A", "R-422A", "R-422D", "R-427A", "R-434A",
    "R-437A", "R-438A", "R-448A", "R-449A", "R-452A", "R-454B", "R-500", "R-502", "R-503", "R-507A", "R-508B",
    "R-513A", "R-514A",
]


@pytest.mark.parametrize("annex_group,codes", sorted(REQUIRED.items()))
def test_required_substances_present(cat, annex_group, codes):
    for code in codes:
        assert cat.get(code).annex_group == annex_group, code


def test_all_annex_c_group_i_entries_present(cat):
    numbers = """21 22 31 121 122 123 124 131 132 133 141 141b 142 142b 151 221 222 223 224 225 225ca 225cb 226 231
        232 233 234 235 241 242 243 244 251 252 253 261 262 271"""
    for number in numbers.split():
        assert cat.get(f"HCFC-{number}").annex_group == "C/I"


def test_alternatives_present_and_not_controlled(cat):
    for code in ("R-290", "R-600a", "R-600", "R-717", "R-744", "R-1234yf", "R-1234ze(E)", "R-1233zd(E)", "R-1270"):
        sub = cat.get(code)
        assert not sub.controlled and sub.annex == "" and sub.annexes == frozenset()


@pytest.mark.parametrize("code", REQUIRED_BLENDS)
def test_required_blends_present(cat, code):
    assert isinstance(cat.get(code), Blend)


def test_counts(cat):
    assert len(cat.substances()) >= 90
    assert len(cat.blends()) >= len(REQUIRED_BLENDS)
    assert len(cat) == len(cat.all()) == len(cat.substances()) + len(cat.blends())


# --------------------------------------------------------------------------- blends
def test_every_blend_sums_to_100_percent(cat):
    for blend in cat.blends():
        assert sum(p for _, p in blend.percentages) == 100, blend.code
        assert sum(w for _, w in blend.components) == 1, blend.code
        for comp, _ in blend.components:
            assert isinstance(cat.get(comp), Substance)


def test_r404a(cat):
    blend = cat.get("R-404A")
    assert blend.percentages == (("HFC-125", D(44)), ("HFC-143a", D(52)), ("HFC-134a", D(4)))
    # 0.44*3500 + 0.52*4470 + 0.04*1430 = 1540 + 2324.4 + 57.2
    assert blend.gwp == D("3921.6")
    assert blend.gwp.quantize(D(1), rounding=ROUND_HALF_UP) == 3922
    assert blend.odp == 0
    assert blend.annexes == {"F"}


def test_r410a(cat):
    # 0.5*675 + 0.5*3500
    assert cat.get("R-410A").gwp == D("2087.5")


def test_r502(cat):
    blend = cat.get("R-502")
    expected = D("0.488") * D("0.055") + D("0.512") * D("0.6")
    assert expected == D("0.33404")
    assert blend.odp == D("0.33404")
    # 0.488*1810 + 0.512*7370 = 883.28 + 3773.44
    assert blend.gwp == D("4656.72")
    assert blend.annexes == {"A", "C"}
    assert blend.annex_f_gwp == 0


def test_r407c(cat):
    blend = cat.get("R-407C")
    assert blend.percentages == (("HFC-32", D(23)), ("HFC-125", D(25)), ("HFC-134a", D(52)))
    # 0.23*675 + 0.25*3500 + 0.52*1430 = 155.25 + 875 + 743.6
    assert blend.gwp == D("1773.85")
    assert blend.odp == 0


def test_hcfc_blend_odp(cat):
    # R-401A: 53% HCFC-22, 13% HFC-152a, 34% HCFC-124 -> 0.53*0.055 + 0.34*0.022
    assert cat.get("R-401A").odp == D("0.03663")
    # R-409A: 60% HCFC-22, 25% HCFC-124, 15% HCFC-142b -> 0.033 + 0.0055 + 0.00975
    assert cat.get("R-409A").odp == D("0.04825")


def test_blend_with_hfo_kigali_co2e_counts_only_hfcs(cat):
    blend = cat.get("R-513A")  # 56% R-1234yf (GWP 4), 44% HFC-134a
    assert blend.gwp == D("0.56") * 4 + D("0.44") * 1430 == D("631.44")
    assert blend.annex_f_gwp == D("629.2")


def test_blend_values_are_weighted_sums(cat):
    for blend in cat.blends():
        subs = [cat.get(code) for code, _ in blend.components]
        assert blend.odp == sum(w * s.odp for (_, w), s in zip(blend.components, subs))
        assert blend.gwp == sum(w * s.gwp for (_, w), s in zip(blend.components, subs))


# --------------------------------------------------------------------------- search
def test_every_alias_finds_its_entry(cat):
    for entry in cat.all():
        for alias in entry.aliases:
            assert entry in cat.search(alias), (entry.code, alias)


def test_every_code_ashrae_name_formula_finds_its_entry(cat):
    for entry in cat.all():
        for text in (entry.code, entry.ashrae, entry.name, entry.formula):
            if text:
                assert entry in cat.search(text), (entry.code, text)
        assert cat.search(entry.code)[0] is entry


@pytest.mark.parametrize(
    "text,code",
    [
        ("r404a", "R-404A"),
        ("R 404A", "R-404A"),
        ("R404A", "R-404A"),
        ("freon 12", "CFC-12"),
        ("Freon-12", "CFC-12"),
        ("R12", "CFC-12"),
        ("r22", "HCFC-22"),
        ("hcfc 141b", "HCFC-141b"),
        ("halon 1301", "halon-1301"),
        ("ctc", "CTC"),
        ("methyl bromide", "methyl-bromide"),
        ("CH3Br", "methyl-bromide"),
        ("CFC\u201011", "CFC-11"),  # the Handbook prints U+2010 hyphens
        ("propane", "R-290"),
        ("hfo-1234yf", "R-1234yf"),
        ("hfc 43-10mee", "HFC-43-10mee"),
        ("puron", "R-410A"),
        ("811-97-2", "HFC-134a"),
    ],
)
def test_search_examples(cat, text, code):
    results = cat.search(text)
    assert results and results[0].code == code


def test_search_no_match_and_empty(cat):
    assert cat.search("no such refrigerant") == []
    assert cat.search("") == []
    assert cat.search(" - ") == []


def test_get(cat):
    assert cat.get("HCFC-22") is cat.get("r22") is cat.get("R-22")
    assert cat.get("HCFC-123").formula == "CHCl2CF3"
    assert "R-404A" in cat and "R-999Z" not in cat
    with pytest.raises(KeyError):
        cat.get("R-999Z")


def test_normalize():
    assert normalize("R 404A") == normalize("r404a") == normalize("R-404A") == "r404a"


# --------------------------------------------------------------------------- components_by_mass
def test_components_by_mass_r502(cat):
    parts = cat.components_by_mass("R-502", D("13.6"))
    assert parts == [("HCFC-22", D("6.6368")), ("CFC-115", D("6.9632"))]
    assert sum(kg for _, kg in parts) == D("13.6")


def test_components_by_mass_pure_substance_is_itself(cat):
    assert cat.components_by_mass("HFC-134a", D("12.5")) == [("HFC-134a", D("12.5"))]


def test_components_by_mass_sums_exactly_for_every_blend(cat):
    for blend in cat.blends():
        parts = cat.components_by_mass(blend.code, D("11.3"))
        assert sum(kg for _, kg in parts) == D("11.3"), blend.code


def test_components_by_mass_module_helper_and_types(cat):
    assert components_by_mass("R-410A", 10) == [("HFC-32", D("5.0")), ("HFC-125", D("5.0"))]
    with pytest.raises(TypeError):
        cat.components_by_mass("R-410A", 10.0)
    with pytest.raises(TypeError):
        cat.components_by_mass("R-410A", "10")
    with pytest.raises(ValueError):
        cat.components_by_mass("R-410A", D("-1"))
    with pytest.raises(KeyError):
        cat.components_by_mass("R-999Z", D(1))


# --------------------------------------------------------------------------- loader errors
@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    for name in ("substances.csv", "blends.csv"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    return tmp_path


def _append(path: Path, row: str) -> int:
    """Append a row; return its line number."""
    text = path.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text + row + "\n", encoding="utf-8")
    return text.count("\n") + 1


def _replace(path: Path, old: str, new: str) -> int:
    """Replace the first line starting with ``old``; return its line number."""
    lines = path.read_text(encoding="utf-8").split("\n")
    for index, line in enumerate(lines):
        if line.startswith(old):
            lines[index] = new
            path.write_text("\n".join(lines), encoding="utf-8")
            return index + 1
    raise AssertionError(f"no line starts with {old!r}")


def _load_error(directory: Path) -> CatalogueError:
    with pytest.raises(CatalogueError) as info:
        Catalogue.load(directory)
    assert isinstance(info.value, ValueError)
    return info.value


def test_copy_of_data_loads(data_copy):
    assert len(Catalogue.load(data_copy)) == len(Catalogue.load())


def test_rejects_duplicate_code(data_copy):
    line = _append(data_copy / "substances.csv", "HCFC-22,Duplicate,,CHF2Cl,C,I,0.055,1810,2903.71,,1")
    err = _load_error(data_copy)
    assert err.line == line
    assert f"substances.csv, line {line}" in str(err) and "duplicate" in str(err)


def test_rejects_bad_odp(data_copy):
    line = _append(data_copy / "substances.csv", "HCFC-999,Bad,,CX,C,I,abc,0,,,1")
    err = _load_error(data_copy)
    assert f"substances.csv, line {line}" in str(err) and "odp" in str(err)


def test_rejects_bad_gwp(data_copy):
    line = _append(data_copy / "substances.csv", "HFC-999,Bad,,CX,F,I,0,1.2.3,,,1")
    err = _load_error(data_copy)
    assert f"substances.csv, line {line}" in str(err) and "gwp" in str(err)


def test_rejects_float_like_nan(data_copy):
    line = _append(data_copy / "substances.csv", "HFC-999,Bad,,CX,F,I,0,NaN,,,1")
    err = _load_error(data_copy)
    assert err.line == line


def test_rejects_controlled_mismatch(data_copy):
    line = _append(data_copy / "substances.csv", "XYZ-1,Bad,,CX,,,0,1,,,1")
    assert _load_error(data_copy).line == line


def test_rejects_unknown_annex_group(data_copy):
    line = _append(data_copy / "substances.csv", "XYZ-1,Bad,,CX,E,II,0.1,,,,1")
    err = _load_error(data_copy)
    assert err.line == line and "group" in str(err)


def test_rejects_wrong_field_count(data_copy):
    line = _append(data_copy / "substances.csv", "XYZ-1,Bad,,CX")
    err = _load_error(data_copy)
    assert err.line == line and "fields" in str(err)


def test_rejects_wrong_header(data_copy):
    _replace(data_copy / "blends.csv", "code,", "code,name,aliases,components,hs_code")
    err = _load_error(data_copy)
    assert err.line == 1 and "blends.csv" in str(err) and "header" in str(err)


def test_rejects_percentages_not_summing_to_100(data_copy):
    line = _replace(data_copy / "blends.csv", "R-404A,", "R-404A,Bad,,,HFC-125:44|HFC-143a:52|HFC-134a:3")
    err = _load_error(data_copy)
    assert err.line == line
    assert f"blends.csv, line {line}" in str(err) and "99" in str(err)


def test_rejects_unknown_component(data_copy):
    line = _append(data_copy / "blends.csv", "R-999A,Bad,,,HFC-32:50|HFC-999:50")
    err = _load_error(data_copy)
    assert err.line == line and "HFC-999" in str(err)


def test_rejects_malformed_component(data_copy):
    line = _append(data_copy / "blends.csv", "R-999A,Bad,,,HFC-32 50|HFC-125:50")
    assert _load_error(data_copy).line == line


def test_rejects_component_without_gwp(data_copy):
    line = _append(data_copy / "blends.csv", "R-999A,Bad,,,HFC-32:50|CFC-111:50")
    err = _load_error(data_copy)
    assert err.line == line and "GWP" in str(err)


def test_rejects_blend_code_clashing_with_substance(data_copy):
    line = _append(data_copy / "blends.csv", "R-290,Bad,,,HFC-32:100")
    assert _load_error(data_copy).line == line


def test_rejects_alias_that_is_another_code(data_copy):
    line = _replace(data_copy / "blends.csv", "R-410A,", "R-410A,Bad,R-404A,,HFC-32:50|HFC-125:50")
    err = _load_error(data_copy)
    assert err.line == line and "R-404A" in str(err)


def test_missing_file(tmp_path):
    err = _load_error(tmp_path)
    assert "substances.csv" in str(err)
