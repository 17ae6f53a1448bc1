"""The licence check page is a kept shell and kept terms with each licence's own values put in: no licence's
facts ever show on another's page, whatever was rendered before (certreg.licences.check_views._facts)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from certreg.actors import Actor
from certreg.extensions import db
from certreg.licences import documents, services
from tests.factories import ensure_keys, make_company

SYSTEM = Actor.system("tests")
TODAY = date.today()


def _licence(n: int, name: str, scope: list[str], hs: list[str], cap: str, days: int):
    company = make_company(country_code="KZ", activities=["importer"], name_latin=name)
    licence = services.issue(SYSTEM, "KZ", services.LicenceData(
        number=f"KZ-KEPT-{n}", company_registration=company.registration_number, direction="import", scope=scope,
        hs_codes=hs, cap_kg=cap, valid_from=TODAY - timedelta(days=days), valid_until=TODAY + timedelta(days=days),
        issuing_authority="Ministry", partner_countries=["CN"]))
    db.session.flush()
    return licence, documents.token_for(SYSTEM, licence), company


def _facts(page: str) -> str:
    return re.search(r'<dl class="facts verify-facts" id="facts">(.*?)</dl>', page, re.S).group(1)


def test_each_licence_shows_its_own_terms_on_the_kept_page(app, client):
    ensure_keys("KZ")
    first, first_token, first_company = _licence(1, "Aral <Kholod> LLP", ["HCFC-22"], ["2903.71"], "111.5", 10)
    second, second_token, second_company = _licence(2, "Shymkent Frost LLP", ["R-404A"], ["3827.61"], "2222.25", 40)
    db.session.commit()
    own = {first_token: (first, first_company, "HCFC-22", "2903.71", "111.5"),
           second_token: (second, second_company, "R-404A", "3827.61", "2222.25")}
    for language in ("en", "ru", "en"):
        pages = {token: client.get(f"/l/{token}", headers={"Accept-Language": language}).get_data(as_text=True)
                 for token in (first_token, second_token, first_token)}
        for token, page in pages.items():
            other = second_token if token == first_token else first_token
            assert 'data-verdict="VALID"' in page and f'lang="{language}"' in page
            facts = _facts(page)
            for value in own[token][2:] + (own[token][0].number, own[token][1].registration_number):
                assert value in facts, value
            for value in own[other][2:] + (own[other][0].number, own[other][1].registration_number):
                assert value not in page, value
            assert "\x00" not in page and page.count("<html") == 1
        assert "Aral &lt;Kholod&gt; LLP" in _facts(pages[first_token])  # escaped into the kept terms
        assert "Shymkent" not in pages[first_token] and "Aral" not in pages[second_token]
    assert app.extensions["certreg_licence_facts"]  # the terms were kept: this test ran on them
