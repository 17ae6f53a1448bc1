"""The CSV upload page (``/logbook/import``): the same import as the CLI and the API, the per-line report."""

from __future__ import annotations

import io

import sqlalchemy as sa

from certreg.extensions import db
from certreg.logbook.models import Channel, Entry, ImportBatch, Refusal
from tests.conftest import count_rows, csrf_token, login
from tests.logbook.builders import HEADER, csv_lines
from tests.logbook.conftest import TODAY


def _upload(client, text: str, name: str = "paper.csv", holder: str | None = None):
    token = csrf_token(client, "/logbook/import")
    data = {"csrf_token": token, "file": (io.BytesIO(text.encode()), name)}
    if holder is not None:
        data["holder"] = holder
    page = client.get("/logbook/import").get_data(as_text=True)
    if holder is None:
        data["holder"] = page.split('name="holder" value="', 1)[1].split('"', 1)[0]
    return client.post("/logbook/import", data=data, content_type="multipart/form-data")


def test_a_paper_logbook_is_imported_from_the_page(client, people):
    login(client, people.dealer_user)
    page = client.get("/logbook/import")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and "<progress" in html
    assert people.dealer.name in html
    response = _upload(client, HEADER + csv_lines(30))
    assert response.status_code == 302 and response.headers["Location"].endswith("/logbook")
    batch = db.session.scalar(sa.select(ImportBatch))
    assert batch.line_count == 30 and batch.filename == "paper.csv"
    entries = db.session.scalars(sa.select(Entry)).all()
    assert len(entries) == 30 and {e.channel for e in entries} == {Channel.CSV}
    assert "Imported 30 entries from paper.csv" in client.get("/logbook").get_data(as_text=True)
    # the logbook page links to the import
    assert 'href="/logbook/import"' in client.get("/logbook").get_data(as_text=True)


def test_refused_lines_are_listed_on_the_page_and_nothing_is_written(client, people):
    login(client, people.dealer_user)
    text = HEADER + "\n".join([
        f"{TODAY},import,HCFC-22,100,virgin,,LIC-1,DECL-1,CN,Example Chemical Co.,,,INV-1",
        f"{TODAY},import,HCFC-22,5,virgin,,,,CN,Example,,,",  # no licence, no declaration
        "31/12/2024,import,HCFC-22,5,virgin,,L,D,CN,E,,,",  # bad date
        f"{TODAY},import,R-999,5,virgin,,L,D,CN,E,,,",  # unknown substance
    ]) + "\n"
    before = count_rows(Entry, ImportBatch)
    response = _upload(client, text)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Nothing was imported: 3 line(s) refused" in html
    for line in (3, 4, 5):
        assert f'<td data-label="Line">{line}</td>' in html
    assert '<td data-label="Line">2</td>' not in html
    assert "proof_of_origin_missing" in html and "invalid_date" in html
    assert "Write the date as YYYY-MM-DD or DD.MM.YYYY." in html
    after = count_rows(Entry, ImportBatch)
    assert after[Entry.__tablename__] == before[Entry.__tablename__] == 0
    assert after[ImportBatch.__tablename__] == before[ImportBatch.__tablename__] == 0
    # the refused attempt is kept, as from the CLI and the API
    refusals = db.session.scalars(sa.select(Refusal)).all()
    assert [(r.code, r.channel.value, r.details["line"]) for r in refusals] == [("proof_of_origin_missing", "csv", 3)]


def test_the_page_refuses_no_file_another_logbook_and_a_second_upload(client, people):
    login(client, people.dealer_user)
    token = csrf_token(client, "/logbook/import")
    empty = client.post("/logbook/import", data={"csrf_token": token, "holder": people.dealer.ref})
    assert empty.status_code == 422 and "Choose the CSV file." in empty.get_data(as_text=True)
    other = _upload(client, HEADER + csv_lines(2), holder=people.technician.ref)
    assert other.status_code == 422 and count_rows(Entry)[Entry.__tablename__] == 0
    assert _upload(client, HEADER + csv_lines(2)).status_code == 302
    again = _upload(client, HEADER + csv_lines(2))
    assert again.status_code == 422 and "already imported" in again.get_data(as_text=True)


def test_the_page_is_in_russian(client, people):
    login(client, people.dealer_user)
    client.get("/language/ru?next=/logbook/import")
    html = client.get("/logbook/import").get_data(as_text=True)
    assert "Импорт бумажного журнала" in html
