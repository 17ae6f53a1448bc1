"""The languages of the border: Chinese, Kazakh, Kyrgyz and Uzbek, negotiated from the browser or chosen."""

from __future__ import annotations

import pytest

from certreg.auth.models import Role
from certreg.extensions import db
from certreg.i18n import language_names, negotiate
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
