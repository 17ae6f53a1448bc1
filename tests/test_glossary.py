"""The glossary (docs/glossary.csv) is used consistently: wherever an English msgid uses a term, the
translation in every complete language uses the glossary's translation of it.

A term's ``en_pattern`` is a regular expression matched case-insensitively against the English msgid;
each language's ``<lang>_stem`` is a regular expression (a stem, so that inflected forms count: Russian
``извле`` covers извлечение, извлечённый, извлекают) searched case-insensitively in the translation.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.csv"


@cache
def _script():
    spec = importlib.util.spec_from_file_location("certreg_i18n_script", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def glossary() -> list[dict[str, str]]:
    with GLOSSARY.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def catalogue_pairs(lang: str) -> list[tuple[str, str]]:
    """(English, translation) for every msgid of every catalogue of ``lang``, plural forms included."""
    script = _script()
    pairs = []
    for domain in script.domains():
        path = script.po_path(domain, lang)
        if not path.exists():
            continue
        with path.open("rb") as fh:
            for m in read_po(fh, locale=lang):
                if not m.id:
                    continue
                ids = [m.id] if isinstance(m.id, str) else list(m.id)
                strings = [m.string] if isinstance(m.string, str) else list(m.string)
                pairs += [(ids[-1] if i else ids[0], s) for i, s in enumerate(strings)]
    return pairs


def violations(lang: str, terms: list[dict[str, str]] | None = None) -> list[str]:
    found = []
    pairs = catalogue_pairs(lang)
    for term in terms if terms is not None else glossary():
        english = re.compile(term["en_pattern"], re.IGNORECASE)
        stem = re.compile(term[f"{lang}_stem"], re.IGNORECASE)
        for msgid, translation in pairs:
            if english.search(msgid) and not stem.search(translation):
                found.append(f"{lang}: {term['term']!r} should be {term[lang]!r} in {translation!r} ({msgid!r})")
    return found


def test_the_glossary_has_every_language_and_a_source_for_each_term():
    terms = glossary()
    assert len(terms) >= 30
    for term in terms:
        for lang in _script().LANGUAGES:
            assert term[lang] and term[f"{lang}_stem"], (term["term"], lang)
            assert re.search(term[f"{lang}_stem"], term[lang], re.IGNORECASE), (term["term"], lang)
        assert re.search(term["en_pattern"], term["term"], re.IGNORECASE), term["term"]
        assert term["source"].strip(), term["term"]


@pytest.mark.parametrize("lang", _script().LANGUAGES)
def test_glossary_terms_are_translated_consistently(lang):
    found = violations(lang)
    assert found == [], "\n".join(found)


def test_the_consistency_check_catches_a_stray_translation(monkeypatch):
    """The check can fail: translate "refrigerant" as 冷媒 once and it is reported."""
    monkeypatch.setattr(sys.modules[__name__], "catalogue_pairs",
                        lambda lang: [("Recovered refrigerant", "已回收冷媒")])
    refrigerant = [t for t in glossary() if t["term"] == "refrigerant"]
    assert violations("zh_Hans", refrigerant) == [
        "zh_Hans: 'refrigerant' should be '制冷剂' in '已回收冷媒' ('Recovered refrigerant')"]
