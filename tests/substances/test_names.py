"""Substance, blend and category names in the reader's language (data, not only messages)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from certreg.certificates.category_names import BUILT_IN
from certreg.substances.catalogue import default_catalogue
from certreg.substances.names import display_name, systematic_name

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = ["ru", "zh_Hans", "kk", "ky", "uz"]


@pytest.mark.parametrize(("english", "language", "expected"), [
    ("Trichlorofluoromethane", "ru", "Трихлорфторметан"),
    ("Trichlorofluoromethane", "zh_Hans", "三氯氟甲烷"),
    ("1,1,1,2-Tetrafluoroethane", "kk", "1,1,1,2-Тетрафторэтан"),
    ("1,1,1,2-Tetrafluoroethane", "zh_Hans", "1,1,1,2-四氟乙烷"),
    ("2-Chloro-1,1,1,2-tetrafluoroethane", "uz", "2-Xlor-1,1,1,2-tetraftoretan"),
    ("cis-1,1,1,4,4,4-Hexafluoro-2-butene", "zh_Hans", "顺式-1,1,1,4,4,4-六氟-2-丁烯"),
    ("Bromochlorodifluoromethane", "ky", "Бромхлордифторметан"),
    ("Ammonium nitrate", "ru", None),  # not a halocarbon: the tables do not guess
    ("Difluoromethane", "sq", None),  # no table for the language
])
def test_systematic_names(english, language, expected):
    assert systematic_name(english, language) == expected


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalogue_name_is_shown_translated(app, language):
    """No substance or blend of the catalogue keeps its English name in a complete language."""
    with force_locale(language):
        for entry in default_catalogue().all():
            shown = display_name(entry.name, language)
            assert shown != entry.name, (language, entry.code, entry.name)
            assert not re.search(r"[a-z]{4,}", shown) or language == "uz", (language, entry.code, shown)


def test_blend_descriptions_list_the_components_the_locale_way(app):
    name = "Zeotropic blend of HCFC-22, HFC-152a and HCFC-124"
    with force_locale("zh_Hans"):
        assert display_name(name, "zh_Hans") == "HCFC-22、HFC-152a和HCFC-124的非共沸混合物"
    with force_locale("ru"):
        assert display_name(name, "ru") == "Зеотропная смесь HCFC-22, HFC-152a и HCFC-124"
    with force_locale("en"):
        assert display_name(name, "en") == name
    with force_locale("ky"):
        assert display_name("Carbon tetrachloride", "ky") == "Төрт хлордуу көмүртек"
        assert display_name("Chlorodifluoroethane (all isomers, C2H3F2Cl)", "ky") == \
            "Хлордифторэтан (бардык изомерлер, C2H3F2Cl)"


def test_built_in_category_names_are_all_marked_for_translation():
    with (ROOT / "certreg" / "certificates" / "data" / "categories.csv").open(encoding="utf-8") as fh:
        names = {row["name_en"] for row in csv.DictReader(fh)}
    assert names == set(BUILT_IN)


def test_category_names_are_shown_in_kazakh(client):
    html = client.get("/substances", headers={"Accept-Language": "kk"}).get_data(as_text=True)
    assert "Трихлорфторметан" in html and "Trichlorofluoromethane" not in html
    from certreg.certificates.models import CertificateCategory
    from certreg.extensions import db
    category = db.session.query(CertificateCategory).filter_by(code="C").first()
    with force_locale("kk"):
        assert category.name("kk") == "Толтыру мөлшері 3 кг-нан аз жабдықтан хладагентті шығарып алу"
        assert category.name("ru") == category.names["ru"]  # a stored name wins
