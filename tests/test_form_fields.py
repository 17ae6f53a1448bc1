"""The shared field macro renders only attributes with a value (issue 10: ``inputmode="None"`` hid the
keyboard of every Android phone, ``aria-invalid="None"`` made screen readers announce errors)."""

from __future__ import annotations

import re

from certreg.vocabulary import Role
from tests.conftest import login, post_form
from tests.factories import make_company, make_user

INPUT = re.compile(r"<(?:input|textarea|select)\b[^>]*>")


def _inputs(html: str) -> dict[str, str]:
    return {re.search(r'\sid="([^"]+)"', tag).group(1): tag for tag in INPUT.findall(html) if ' id="' in tag}


def test_no_attribute_is_rendered_as_none_and_errors_are_marked(client):
    login_page = client.get("/login").get_data(as_text=True)
    assert "None" not in "".join(INPUT.findall(login_page))
    fields = _inputs(login_page)
    assert "inputmode" not in fields["password"] and "aria-invalid" not in fields["password"]
    assert 'inputmode="email"' in fields["email"]

    company = make_company(country_code="KG", activities=["dealer"])
    login(client, make_user(Role.COMPANY_USER, "KG", company=company))
    fresh = _inputs(client.get("/logbook/sale").get_data(as_text=True))
    assert "inputmode" not in fresh["buyer_certificate"] and "aria-invalid" not in fresh["buyer_certificate"]
    assert 'inputmode="decimal"' in fresh["quantity"]
    assert not any("None" in tag for tag in fresh.values())

    # An empty certificate is the rules' to refuse (buyer_certificate_required, as on every surface);
    # a quantity that is no number is the form's, marked on its field.
    refused = post_form(client, "/logbook/sale", {"action": "check", "quantity": "many"})
    assert refused.status_code == 422
    fields = _inputs(refused.get_data(as_text=True))
    assert 'aria-invalid="true"' in fields["quantity"]
    assert 'aria-describedby="quantity-error"' in fields["quantity"]
    assert "aria-invalid" not in fields["note"] and "aria-invalid" not in fields["buyer_certificate"]
    assert not any("None" in tag for tag in fields.values())
