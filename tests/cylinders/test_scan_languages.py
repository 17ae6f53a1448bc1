"""The label check speaks every verifier language (issue 17): online, and in the offline shell the
service worker keeps for the phone's language."""

from __future__ import annotations

import json
import re

import pytest

from tests.cylinders.builders import make_cylinder


@pytest.mark.parametrize(("header", "lang", "word", "kind"), [
    ("ka-GE", "ka", "ნამდვილი ეტიკეტი", "ხელახლა შევსებადი ბალონი"),
    ("tr-TR", "tr", "GERÇEK ETİKET", "Yeniden doldurulabilir tüp"),
    ("kk-KZ", "kk", "ТҮПНҰСҚА ЖАПСЫРМА", "Көп реттік баллон"),
])
def test_the_scan_page_in_a_verifier_language(client, header, lang, word, kind):
    cylinder = make_cylinder()
    html = client.get(f"/c/{cylinder.token}", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{lang}">' in html and word in html and kind in html
    assert '<details class="lang">' in html  # the language menu online


def test_the_offline_shell_carries_the_phones_language_and_no_menu(client):
    html = client.get("/verify/cylinder-offline", headers={"Accept-Language": "hy"}).get_data(as_text=True)
    assert '<html lang="hy">' in html and '<details class="lang">' not in html  # its links would not work offline
    data = json.loads(re.search(r'<script type="application/json" id="verify-text">(.*?)</script>', html, re.S)[1])
    assert data["verdicts"]["destroyed"]["word"] == "ՈՉՆՉԱՑՎԱԾ"
    assert data["verdicts"]["forged"]["word"] == "ԿԵՂԾ"
    assert data["kinds"]["non_refillable"] == "Չվերալցվող (միանգամյա) բալոն"
    assert data["colours"] == {"genuine": "ok", "unknown": "warn", "forged": "bad", "destroyed": "bad",
                               "suspended": "bad"}
    assert "{time}" in data["statusAsOf"]
