"""The languages of the border: Chinese, Kazakh, Kyrgyz and Uzbek, negotiated from the browser or chosen."""

from __future__ import annotations

import pytest

from certreg.extensions import db
from certreg.i18n import language_names, negotiate
from certreg.vocabulary import Role
from tests.conftest import login
from tests.factories import make_certificate, make_technician, make_user

OURS = ("en", "ru", "zh_Hans", "kk", "ky", "uz")


@pytest.mark.parametrize(("header", "expected"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh_Hans"),
    ("zh", "zh_Hans"),
    ("zh-Hans", "zh_Hans"),
    ("zh-Hans-CN", "zh_Hans"),
    ("kk-KZ", "kk"),
    ("ky-KG,ru;q=0.8", "ky"),  # the first choice wins even though "ru" matches exactly
    ("uz-Latn-UZ", "uz"),
    ("ru-RU,ru;q=0.9", "ru"),
    ("en-US,zh-CN;q=0.5", "en"),
    ("fr-FR,de;q=0.5", None),
    ("", None),
])
def test_accept_language_negotiation(header, expected):
    assert negotiate(header, OURS) == expected


def test_every_language_is_named_in_itself():
    names = language_names(OURS)
    assert names == {"en": "English", "ru": "Русский", "zh_Hans": "中文 (简体)", "kk": "Қазақ тілі",
                     "ky": "Кыргызча", "uz": "O‘zbek"}


def test_a_chinese_browser_gets_the_sign_in_page_in_chinese(client):
    html = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html
    assert "登录" in html and "Sign in" not in html


def test_the_language_menu_lists_every_language_in_itself(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<details class="lang">' in html
    for code, name in language_names(OURS).items():
        assert name in html
        if code != "en":
            assert f'href="/language/{code}?next=/login"' in html


@pytest.mark.parametrize(("code", "word"), [("zh_Hans", "登录"), ("kk", "Кіру"), ("ky", "Кирүү"), ("uz", "Kirish")])
def test_language_switch_for_each_new_language(client, code, word):
    response = client.get(f"/language/{code}?next=/login")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    html = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'<html lang="{code.replace("_", "-")}">' in html
    assert f">{word}<" in html


def test_the_chosen_language_is_remembered_in_the_account(client):
    user = make_user(Role.INSPECTOR)
    login(client, user)
    client.get("/language/kk")
    db.session.refresh(user)
    assert user.locale == "kk"
    client.set_cookie("certreg_lang", "", expires=0)
    html = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="kk">' in html  # the account's choice beats the browser


def test_point_of_sale_and_verify_page_in_chinese_from_the_browser(client):
    dealer = make_user(Role.COMPANY_USER)
    login(client, dealer)
    html = client.get("/logbook/sale", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "销售点" in html and "Point of sale" not in html
    cert = make_certificate(make_technician(full_name="王小明", full_name_latin="Wang Xiaoming"))
    html = client.get(f"/v/{cert.token}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html and "证书" in html


VERIFIER_SET = ("sq", "hy", "az", "bs", "sr", "sr_Latn", "ka", "mk", "mn", "ro", "tg", "tr", "tk")


@pytest.mark.parametrize(("header", "lang", "verdict"), [
    ("ka-GE,ka;q=0.9", "ka", "მოქმედი"), ("hy-AM", "hy", "ՎԱՎԵՐ"), ("tr-TR", "tr", "GEÇERLİ"),
    ("sr-RS", "sr", "ВАЖЕЋИ"), ("sr-Latn-RS", "sr-Latn", "VAŽEĆI"), ("cnr", "sr-Latn", "VAŽEĆI"),
    ("ro-MD", "ro", "VALABIL"), ("tk-TM", "tk", "HEREKETDE"), ("mn-MN", "mn", "ХҮЧИНТЭЙ"),
    ("tg-TJ", "tg", "ЭЪТИБОРДОР"), ("ky-KG", "ky", "ЖАРАКТУУ"),
])
def test_the_verify_page_speaks_the_verifier_set(client, header, lang, verdict):
    cert = make_certificate(make_technician())
    html = client.get(f"/v/{cert.token}", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert verdict in html and "The certificate is genuine" not in html


def test_the_verifier_set_is_only_for_the_public_pages(client):
    """Georgian sign-in page and public search; a signed-in page falls back to a complete language."""
    html = client.get("/login", headers={"Accept-Language": "ka"}).get_data(as_text=True)
    assert '<html lang="ka">' in html and ">შესვლა<" in html
    assert "ქართული" in html and "Shqip" in html  # the public menu offers the verifier set too
    html = client.get("/search?q=x", headers={"Accept-Language": "tr"}).get_data(as_text=True)
    assert '<html lang="tr">' in html and "Genel sicil araması" in html
    login(client, make_user(Role.INSPECTOR))
    html = client.get("/", headers={"Accept-Language": "ka, ru;q=0.5"}).get_data(as_text=True)
    assert '<html lang="ru">' in html and "Shqip" not in html


def test_language_switch_to_a_verifier_language_on_a_public_page(client):
    response = client.get("/language/sq?next=/login")
    assert response.status_code == 302
    assert ">Hyr<" in client.get("/login").get_data(as_text=True)


def test_the_offline_page_is_served_in_the_phones_language(client):
    """The service worker caches /verify/offline as fetched with the phone's Accept-Language."""
    html = client.get("/verify/offline", headers={"Accept-Language": "ka"}).get_data(as_text=True)
    assert '<html lang="ka">' in html and "სერტიფიკატის შემოწმება" in html
    html = client.get("/verify/offline", headers={"Accept-Language": "ky"}).get_data(as_text=True)
    assert "Сертификатты текшерүү" in html


def test_every_verifier_language_has_every_public_string():
    """The verifier set is complete for the public pages (scripts/i18n.py PUBLIC_SOURCES/PUBLIC_MESSAGES)."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "i18n.py"
    spec = importlib.util.spec_from_file_location("certreg_i18n_script", path)
    script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = script
    spec.loader.exec_module(script)
    assert tuple(script.PUBLIC_LANGUAGES) == VERIFIER_SET
    public = set()
    for domain in script.domains():
        public |= {m.id if isinstance(m.id, str) else m.id[0] for m in script.public_part(script.extract(domain))}
    assert {"VALID", "REVOKED", "Sign in", "Public registry search", "Wrong e-mail or password."} <= public
    problems = [p for p in script.problems() if p.split(" ")[0] in VERIFIER_SET]
    assert problems == []


def test_the_verify_page_has_the_language_menu_but_the_offline_copy_does_not(client):
    cert = make_certificate(make_technician())
    html = client.get(f"/v/{cert.token}", headers={"Accept-Language": "ka"}).get_data(as_text=True)
    assert '<details class="lang">' in html and f'href="/language/kk?next=/v/{cert.token}"' in html
    html = client.get("/verify/offline", headers={"Accept-Language": "ka"}).get_data(as_text=True)
    assert '<details class="lang">' not in html  # its links would not work offline


def test_the_verify_page_names_categories_in_the_verifier_language(client):
    cert = make_certificate(make_technician(), categories=("C",))
    html = client.get(f"/v/{cert.token}", headers={"Accept-Language": "ka"}).get_data(as_text=True)
    assert "მაცივარი აგენტის ამოღება 3 კგ-ზე ნაკლები დატენვის მოწყობილობიდან" in html
    html = client.get(f"/v/{cert.token}", headers={"Accept-Language": "uz"}).get_data(as_text=True)
    assert "To‘ldirish miqdori 3 kg dan kam uskunadan sovutish agentini yig‘ib olish" in html
