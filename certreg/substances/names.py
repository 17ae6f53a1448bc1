"""Substance names in the reader's language.

The catalogue stores each name in English, as the Protocol's annexes and ASHRAE 34 write it. What the
reader sees is made from it:

* a blend's description (``Zeotropic blend of HCFC-22, HFC-152a and HCFC-124``) is a translated
  sentence around the component codes, listed the locale's way (``HCFC-22、HFC-152a和HCFC-124``);
* names that are words (``Propane``, ``Ammonia``, ``Methyl bromide``, ``all isomers``) are messages of
  the substances catalogue;
* systematic names of halocarbons (``1,1,1,2-Tetrafluoroethane``) are built morpheme by morpheme from the
  tables below: Russian, Kazakh and Kyrgyz use the Russian nomenclature (тетрафторэтан), Uzbek its
  Latin transliteration (tetraftoretan), Chinese the CCS nomenclature (1,1,1,2-四氟乙烷). A name the tables
  cannot read, or a language without a table, keeps the English name.
"""

from __future__ import annotations

import re

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _


def N_(text: str) -> str:  # noqa: N802 (a no-op marker that scripts/i18n.py extracts)
    return text


# Names that are words, not systematic names (extracted into the substances catalogue).
WORDS = {
    "Propane": N_("Propane"),
    "Isobutane": N_("Isobutane"),
    "Butane": N_("Butane"),
    "Pentane": N_("Pentane"),
    "Isopentane": N_("Isopentane"),
    "Propylene": N_("Propylene"),
    "Ammonia": N_("Ammonia"),
    "Carbon dioxide": N_("Carbon dioxide"),
    "Carbon tetrachloride": N_("Carbon tetrachloride"),
    "Methyl bromide": N_("Methyl bromide"),
    "methyl chloroform": N_("methyl chloroform"),
    "all isomers": N_("all isomers"),
}
BLEND = re.compile(r"^(Zeotropic|Azeotropic) blend of (.+)$")

_RU = {
    "multipliers": {"": "", "di": "ди", "tri": "три", "tetra": "тетра", "penta": "пента", "hexa": "гекса",
                    "hepta": "гепта", "octa": "окта", "deca": "дека"},
    "halogens": {"chloro": "хлор", "fluoro": "фтор", "bromo": "бром"},
    "parents": {"methane": "метан", "ethane": "этан", "propane": "пропан", "butane": "бутан",
                "pentane": "пентан", "propene": "пропен", "butene": "бутен", "ethylene": "этилен"},
    "isomers": {"cis": "цис", "trans": "транс"},
    "capitalise": True,
}
_UZ = {
    "multipliers": {"": "", "di": "di", "tri": "tri", "tetra": "tetra", "penta": "penta", "hexa": "geksa",
                    "hepta": "gepta", "octa": "okta", "deca": "deka"},
    "halogens": {"chloro": "xlor", "fluoro": "ftor", "bromo": "brom"},
    "parents": {"methane": "metan", "ethane": "etan", "propane": "propan", "butane": "butan",
                "pentane": "pentan", "propene": "propen", "butene": "buten", "ethylene": "etilen"},
    "isomers": {"cis": "sis", "trans": "trans"},
    "capitalise": True,
}
_ZH = {
    "multipliers": {"": "", "di": "二", "tri": "三", "tetra": "四", "penta": "五", "hexa": "六",
                    "hepta": "七", "octa": "八", "deca": "十"},
    "halogens": {"chloro": "氯", "fluoro": "氟", "bromo": "溴"},
    "parents": {"methane": "甲烷", "ethane": "乙烷", "propane": "丙烷", "butane": "丁烷",
                "pentane": "戊烷", "propene": "丙烯", "butene": "丁烯", "ethylene": "乙烯"},
    "isomers": {"cis": "顺式", "trans": "反式"},
    "capitalise": False,
}
NOMENCLATURE = {"ru": _RU, "kk": _RU, "ky": _RU, "uz": _UZ, "zh_Hans": _ZH}

_MULT = "deca|di|tri|tetra|penta|hexa|hepta|octa"
_PART = re.compile(rf"({_MULT})?(chloro|fluoro|bromo)")
_PARENT = re.compile(r"(methane|ethane|propane|butane|pentane|propene|butene|ethylene)")
_LOCANTS = re.compile(r"^\d+(,\d+)*$")


def _word(word: str, table: dict) -> str | None:
    """``dichlorodifluoromethane`` → ``дихлордифторметан``; None if a part is unknown."""
    out, rest = [], word.lower()
    while rest:
        part = _PART.match(rest)
        if part:
            out.append(table["multipliers"][part.group(1) or ""] + table["halogens"][part.group(2)])
            rest = rest[part.end():]
            continue
        parent = _PARENT.fullmatch(rest)
        if parent:
            out.append(table["parents"][rest])
            break
        return None
    text = "".join(out)
    if table["capitalise"] and word[:1].isupper():
        text = text[:1].upper() + text[1:]
    return text


def systematic_name(name: str, language: str) -> str | None:
    """A halocarbon's systematic name in ``language``, or None when it cannot be built."""
    table = NOMENCLATURE.get(language)
    if table is None or not name:
        return None
    out = []
    for token in name.split("-"):
        if _LOCANTS.match(token):
            out.append(token)
        elif token.lower() in table["isomers"]:
            out.append(table["isomers"][token.lower()])
        else:
            word = _word(token, table)
            if word is None:
                return None
            out.append(word)
    return "-".join(out)


def _main(name: str, language: str) -> str:
    if name in WORDS:
        return _(WORDS[name])
    return systematic_name(name, language) or name


def _parenthesis(inner: str, language: str) -> str:
    if inner.startswith("all isomers"):  # "all isomers" or "all isomers, C2HF3Cl2"
        return _(WORDS["all isomers"]) + inner[len("all isomers"):]
    return _main(inner, language)


def display_name(name: str, language: str | None = None) -> str:
    """The stored English name as the reader should see it (see the module's doc)."""
    if language is None:
        language = str(get_locale() or "en")
    if language not in NOMENCLATURE:  # English, and the languages only the public pages speak
        return name
    blend = BLEND.match(name)
    if blend:
        codes = re.split(r", | and ", blend.group(2))
        components = format_list(codes, locale=language)
        if blend.group(1) == "Zeotropic":
            return _("Zeotropic blend of %(components)s", components=components)
        return _("Azeotropic blend of %(components)s", components=components)
    match = re.fullmatch(r"(.+?) \((.+)\)", name)
    if match:
        return f"{_main(match.group(1), language)} ({_parenthesis(match.group(2), language)})"
    return _main(name, language)
