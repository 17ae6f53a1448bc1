"""A scanned token's signature check is remembered per trust list (certreg.memo), never the register's answer: the
same label scanned again skips ES256 but still shows a destruction at once; a refusal is never kept."""

from __future__ import annotations

import pytest

from certreg.actors import Actor
from certreg.cylinders import custody, scanning
from certreg.extensions import db
from certreg.memo import SignatureMemo
from tests.cylinders.builders import make_cylinder


@pytest.fixture
def memo_on(app):
    app.config["VERIFY_PAGE_CACHE_SIZE"] = 2
    yield
    app.config["VERIFY_PAGE_CACHE_SIZE"] = 0


def test_an_outcome_is_kept_per_trust_list_and_the_oldest_goes_first(app, memo_on):
    memo: SignatureMemo[str] = SignatureMemo()
    calls: list[str] = []

    def check(value: str):
        return lambda: calls.append(value) or value

    first, second = object(), object()
    assert memo.get("a", first, check("a1")) == "a1"
    assert memo.get("a", first, check("a2")) == "a1"  # remembered
    assert memo.get("a", second, check("a3")) == "a3"  # another trust list: checked again
    memo.get("b", second, check("b1"))
    memo.get("c", second, check("c1"))  # two kept at most: "a" goes
    assert memo.get("a", second, check("a4")) == "a4"
    assert calls == ["a1", "a3", "b1", "c1", "a4"]


def test_a_refusal_is_never_kept_and_size_0_keeps_nothing(app, memo_on):
    memo: SignatureMemo[str] = SignatureMemo()
    trusted, tries = object(), []

    def refuse():
        tries.append(1)
        raise ValueError("bad signature")

    for _ in range(2):
        with pytest.raises(ValueError):
            memo.get("x", trusted, refuse)
    assert len(tries) == 2
    app.config["VERIFY_PAGE_CACHE_SIZE"] = 0
    seen = []
    for _ in range(2):
        memo.get("y", trusted, lambda: seen.append(1) or "ok")
    assert len(seen) == 2


def test_the_same_label_is_verified_once_and_its_cylinder_still_read_live(client, memo_on, monkeypatch):
    cylinder = make_cylinder()
    db.session.commit()
    trusted = scanning.trust.trust_list()  # one trust list for the test (the app builds one per request in tests)
    monkeypatch.setattr(scanning.trust, "trust_list", lambda: trusted)
    verified = []
    real_verify = scanning.tokens.verify
    monkeypatch.setattr(scanning.tokens, "verify", lambda *a: verified.append(1) or real_verify(*a))
    for _ in range(3):
        page = client.get(f"/c/{cylinder.token}").text
        assert 'data-verdict="genuine"' in page and "was destroyed" not in page
    assert len(verified) == 1
    custody.destroy(Actor.system("test"), cylinder)
    db.session.commit()
    page = client.get(f"/c/{cylinder.token}").text
    assert "was destroyed" in page and len(verified) == 1  # the register read live, the signature remembered
    forged = cylinder.token[:-6] + ("A" if cylinder.token[-6] != "A" else "B") + cylinder.token[-5:]
    for _ in range(2):
        assert 'data-verdict="genuine"' not in client.get(f"/c/{forged}").text
    assert len(verified) == 3  # a refusal is checked again on every scan
