"""Logbook entries and reversals in the audit trail (read from the logbook, not copied)."""

from __future__ import annotations

import csv
import io

from certreg.extensions import db
from certreg.logbook import recording
from certreg.vocabulary import Role
from tests.conftest import login
from tests.factories import make_token, make_user
from tests.logbook.conftest import give_stock


def _entries(people):
    imported = give_stock(people.dealer, people.dealer_actor, kg="12.5")
    reversal = recording.reverse_entry(people.dealer_actor, imported.id, "Typed the wrong licence")
    other_country = give_stock(people.technician, people.tech_actor, kg="3", condition="virgin")
    db.session.commit()
    return imported, reversal, other_country


def test_auditor_sees_entries_and_reversals_of_own_country_in_their_language(client, people):
    imported, reversal, other = _entries(people)
    login(client, make_user(Role.AUDITOR, "KZ"))
    client.get("/language/ru")
    page = client.get("/audit").get_data(as_text=True)
    assert f'href="/logbook/entries/{imported.id}"' in page and f'href="/logbook/entries/{reversal.id}"' in page
    assert "Журнал: Импорт" in page and "Журнал: Сторно" in page  # the actions in words
    assert "Импорт: 12.500 кг HCFC-22 · " in page and f"запись {imported.id}" in page
    assert "Typed the wrong licence" in page and people.dealer_user.email in page
    assert f'href="/logbook/entries/{other.id}"' not in page  # a KG entry
    # The newest first, across both tables: the reversal came after the import and its audit lines.
    assert page.index(f"/logbook/entries/{reversal.id}") < page.index(f"/logbook/entries/{imported.id}")

    only_reversals = client.get("/audit?action=logbook_entry.reversal").get_data(as_text=True)
    assert f"/logbook/entries/{reversal.id}" in only_reversals
    assert f"/logbook/entries/{imported.id}\"" not in only_reversals
    assert "/logbook/entries/" not in client.get("/audit?action=company.").get_data(as_text=True)
    assert f"/logbook/entries/{imported.id}\"" in client.get(f"/audit?q={imported.id}").get_data(as_text=True)


def test_api_and_export_give_the_entries_with_their_source(api, client, people):
    imported, reversal, _ = _entries(people)
    auditor = make_user(Role.AUDITOR, "KZ")
    api.token = make_token(auditor)
    items = api.get("/audit?action=logbook_entry.").json["items"]
    assert [(i["source"], i["id"], i["action"]) for i in items] == [
        ("logbook", reversal.id, "logbook_entry.reversal"), ("logbook", imported.id, "logbook_entry.import")]
    assert items[0]["reason"] == "Typed the wrong licence" and items[0]["object_type"] == "logbook_entry"
    everything = api.get("/audit?per_page=500").json
    assert {i["source"] for i in everything["items"]} == {"audit", "logbook"}
    assert everything["total"] == len(everything["items"])

    login(client, auditor)
    rows = list(csv.reader(io.StringIO(client.get("/audit/export.csv?action=logbook_entry.").get_data(as_text=True))))
    assert [(r[0], r[1], r[5]) for r in rows[1:]] == [
        ("logbook", str(reversal.id), "logbook_entry.reversal"), ("logbook", str(imported.id), "logbook_entry.import")]
    assert rows[2][8] == f"Import: 12.500 kg of HCFC-22 · Virgin (new) · entry {imported.id}"
