"""The verify page is its kept shell plus each card's own parts: no card's facts ever show on another's
page, whatever was rendered before (certreg.certificates.verify_views._render_page)."""

from __future__ import annotations

import re

from certreg.actors import Actor
from certreg.certificates import lifecycle as certs
from certreg.extensions import db
from certreg.vocabulary import Role
from tests.conftest import login
from tests.factories import make_certificate, make_company, make_technician, make_user


def _facts(page: str) -> str:
    return re.search(r'<dl class="facts verify-facts" id="facts">(.*?)</dl>', page, re.S).group(1)


def test_each_card_shows_its_own_facts_on_the_kept_shell(app, client):
    first = make_certificate(make_technician(full_name_latin="Osmonov Bakyt"))
    second = make_certificate(make_company(legal_name="ОсОО «Бишкек Муз»", name_latin="Bishkek Muz LLC"))
    db.session.commit()
    for language in ("en", "ru", "en"):
        pages = {cert: client.get(f"/v/{cert.token}", headers={"Accept-Language": language}).get_data(as_text=True)
                 for cert in (first, second, first)}
        assert 'data-verdict="VALID"' in pages[first] and 'data-verdict="VALID"' in pages[second]
        assert f'lang="{language}"' in pages[first] and f'lang="{language}"' in pages[second]
        assert first.number in _facts(pages[first]) and "Osmonov Bakyt" in _facts(pages[first])
        assert second.number in _facts(pages[second]) and "A1" not in _facts(pages[second])
        assert first.number not in pages[second] and "Osmonov Bakyt" not in pages[second]
        assert second.number not in pages[first]
        assert pages[first].count("<html") == 1 and "\x00" not in pages[first] + pages[second]
    assert app.extensions["certreg_verify_shells"]  # the shells were kept: this test ran on them


def test_a_revocation_and_an_inspector_change_the_page_at_once(client):
    cert = make_certificate()
    db.session.commit()
    assert 'data-verdict="VALID"' in client.get(f"/v/{cert.token}").get_data(as_text=True)
    certs.revoke(Actor.of(make_user(Role.CERTIFYING_OFFICER)), cert, "Forged training record")
    db.session.commit()
    page = client.get(f"/v/{cert.token}").get_data(as_text=True)
    assert 'data-verdict="REVOKED"' in page and cert.number in _facts(page) and "History" not in page
    login(client, make_user(Role.INSPECTOR, "KG"))
    page = client.get(f"/v/{cert.token}").get_data(as_text=True)
    assert 'data-verdict="REVOKED"' in page and "History" in page and "Forged training record" in page
    assert "History" not in client.get("/verify/offline").get_data(as_text=True)


def test_a_malformed_token_shows_no_facts_and_the_offline_shell_fills_them_in_the_browser(client):
    page = client.get("/v/NOTATOKEN").get_data(as_text=True)
    assert 'data-verdict="INVALID_SIGNATURE"' in page
    assert '<dl class="facts verify-facts" id="facts" hidden>' in page
    assert '<p class="idcheck" id="idcheck" hidden>' in page
    offline = client.get("/verify/offline").get_data(as_text=True)
    assert 'data-mode="offline"' in offline and "data-verdict" not in offline and 'id="facts" hidden' in offline


def test_the_language_menu_of_a_kept_shell_leads_back_to_each_card_s_own_page(client):
    first, second = make_certificate(), make_certificate()
    db.session.commit()
    for cert in (first, second, first):
        page = client.get(f"/v/{cert.token}").get_data(as_text=True)
        links = re.findall(r'href="(/language/[^"]+)"', page)
        assert links and all(f"next=/v/{cert.token}" in link for link in links)
        other = second if cert is first else first
        assert other.token not in page


def test_cards_of_the_same_kind_share_kept_facts_but_each_shows_its_own_values_escaped(app, client):
    """The facts are kept per language and kind of card, with the card's values put in and escaped."""
    from datetime import date

    plain = make_certificate(make_technician(full_name_latin="Asanov Talant"),
                             valid_from=date(2026, 1, 5), valid_until=date(2028, 1, 4))
    tricky = make_certificate(make_technician(full_name_latin="O'Brien & Sons"),
                              valid_from=date(2026, 2, 1), valid_until=date(2027, 7, 31))
    db.session.commit()
    app.extensions.pop("certreg_verify_facts", None)
    first = _facts(client.get(f"/v/{plain.token}").get_data(as_text=True))
    second = _facts(client.get(f"/v/{tricky.token}").get_data(as_text=True))
    assert len(app.extensions["certreg_verify_facts"]) == 1  # one kept shell served both cards
    assert "Asanov Talant" in first and plain.number in first and "Jan 5, 2026" in first and "Jan 4, 2028" in first
    assert "O&#39;Brien &amp; Sons" in second and "& Sons" not in second
    assert tricky.number in second and "Feb 1, 2026" in second and "Jul 31, 2027" in second
    assert "Asanov" not in second and plain.number not in second and "2028" not in second
    ru = _facts(client.get(f"/v/{plain.token}", headers={"Accept-Language": "ru"}).get_data(as_text=True))
    assert "Владелец" in ru and "5 янв. 2026" in ru and "Asanov Talant" in ru
