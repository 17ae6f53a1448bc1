"""Acceptance 3: tampering with a 10,000-entry log directly in the database is found and named.

Each scenario is what a database administrator (or anyone with write access to the
database, triggers or no triggers) could do; ``flask logbook verify`` must exit non-zero
naming the first bad entry, and pass on the untouched log.

The log is built once per module in a database of its own (through the CSV import, so
with the real rules and hashing); each test tampers inside a transaction that is rolled
back afterwards.
"""

from __future__ import annotations

import base64
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import scoped_session, sessionmaker

from certreg.actors import Actor
from certreg.db import KILOGRAMS
from certreg.extensions import db
from certreg.keys import services as keys
from certreg.logbook import canonical, ledger
from certreg.logbook.merkle import Frontier
from certreg.logbook.models import Entry
from tests import dbutil
from tests.conftest import make_test_app
from tests.dbutil import IS_POSTGRES
from tests.logbook.builders import bulk_logbook
from tests.logbook.conftest import People

N = 10_000
pytestmark = [pytest.mark.live, pytest.mark.xdist_group("tamper")]


@pytest.fixture(scope="module")
def tamper_app(tmp_path_factory):
    url = dbutil.fresh_database("tamper")
    app = make_test_app(url, SIGNING_KEYS_DIR=str(tmp_path_factory.mktemp("keys")))
    dbutil.upgrade(app)
    keys._private_cache.clear()
    with app.app_context():
        keys.ensure(Actor.system("tests"), ["KZ"])
        db.session.commit()
        people = People()
        sizes = bulk_logbook(people.dealer, N, checkpoints=4)
        assert sizes[-1] == N
        db.session.remove()
    yield app
    keys._private_cache.clear()
    with app.app_context():
        db.engine.dispose()
    dbutil.drop_database(url)


@pytest.fixture
def app(tamper_app):
    """The tamper database's app, inside a transaction rolled back after the test."""
    with tamper_app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
        try:
            yield tamper_app
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def big_log(app):
    return "KZ"


def run_verify(app, *args):
    return app.test_cli_runner().invoke(args=["logbook", "verify", "--country", "KZ", *args])


def as_superuser(sql: str, **params) -> None:
    """Run ``sql`` past the append-only triggers, as an attacker with database rights would."""
    statement = sa.text(sql)
    if "q" in params:
        statement = statement.bindparams(sa.bindparam("q", type_=KILOGRAMS))
        params["q"] = Decimal(params["q"])
    if IS_POSTGRES:
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        db.session.execute(statement, params)
        db.session.execute(sa.text("SET LOCAL session_replication_role = origin"))
        return
    triggers = db.session.execute(sa.text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'logbook_%'")).all()
    for name, _sql in triggers:
        db.session.execute(sa.text(f"DROP TRIGGER {name}"))
    db.session.execute(statement, params)
    for _name, create in triggers:
        db.session.execute(sa.text(create))


def entry_at(seq: int) -> dict:
    return db.session.execute(sa.select(Entry.__table__).where(Entry.country_code == "KZ", Entry.seq == seq)) \
        .mappings().one()


def first_bad(output: str) -> tuple[int, int | None]:
    match = re.search(r"first bad entry: seq (\d+)(?: \(entry id (\d+)\))?", output)
    assert match, output
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None


def test_untouched_log_verifies(app, big_log):
    result = run_verify(app)
    assert result.exit_code == 0, result.output
    assert f"KZ: OK, {N} entries, 4 signed checkpoint(s)" in result.output


def test_edited_entry_is_named(app, big_log):
    victim = entry_at(6000)
    as_superuser("UPDATE logbook_entries SET quantity = quantity + 1 WHERE id = :id", id=victim["id"])
    result = run_verify(app)
    assert result.exit_code == 1
    assert first_bad(result.output) == (6000, victim["id"])
    assert "entry_changed" in result.output


def test_deleted_entry_is_named(app, big_log):
    victim = entry_at(4000)
    as_superuser("DELETE FROM logbook_entry_cylinders WHERE entry_id = :id", id=victim["id"])
    as_superuser("DELETE FROM logbook_transfers WHERE origin_entry_id = :id", id=victim["id"])
    as_superuser("DELETE FROM logbook_entries WHERE id = :id", id=victim["id"])
    result = run_verify(app)
    assert result.exit_code == 1
    seq, _next_id = first_bad(result.output)
    assert seq == 4000 and "entry_missing" in result.output


def test_reordered_entries_are_named(app, big_log):
    a, b = entry_at(3000), entry_at(3001)
    as_superuser("UPDATE logbook_entries SET seq = 999999999 WHERE id = :id", id=a["id"])
    as_superuser("UPDATE logbook_entries SET seq = 3000 WHERE id = :id", id=b["id"])
    as_superuser("UPDATE logbook_entries SET seq = 3001 WHERE id = :id", id=a["id"])
    result = run_verify(app)
    assert result.exit_code == 1
    assert first_bad(result.output) == (3000, b["id"])


def test_inserted_entry_is_named(app, big_log):
    """A forged entry slipped in the middle (later ones shifted), with a correct hash but no valid MAC."""
    template = dict(entry_at(2500))
    as_superuser("UPDATE logbook_entries SET seq = seq + 1000000 WHERE country_code = 'KZ' AND seq >= 2500")
    as_superuser("UPDATE logbook_entries SET seq = seq - 999999 WHERE country_code = 'KZ' AND seq >= 1000000")
    forged = {**template, "id": template["id"] + 10_000_000, "seq": 2500, "quantity": template["quantity"] * 3}
    forged["leaf_hash"] = canonical.leaf_hash(canonical.canonical_bytes(forged, []))
    forged["mac"] = b"\x00" * 32
    db.session.execute(Entry.__table__.insert().values(**forged))
    result = run_verify(app)
    assert result.exit_code == 1
    assert first_bad(result.output) == (2500, forged["id"])
    assert "entry_mac_invalid" in result.output


def test_rewritten_hashes_are_caught_by_checkpoints_and_named_by_the_mac(app, big_log):
    """The attacker edits an entry, recomputes its leaf hash and the log head: only the signatures and MAC remain."""
    victim = dict(entry_at(7000))
    victim["quantity"] = victim["quantity"] + 100
    cylinders = list(db.session.scalars(sa.text(
        "SELECT serial FROM logbook_entry_cylinders WHERE entry_id = :id ORDER BY position"), {"id": victim["id"]}))
    leaf = canonical.leaf_hash(canonical.canonical_bytes(victim, cylinders))
    as_superuser("UPDATE logbook_entries SET quantity = :q, leaf_hash = :h WHERE id = :id",
                 q=str(victim["quantity"]), h=leaf, id=victim["id"])
    frontier = Frontier()
    frontier.extend(bytes(h) for h in db.session.scalars(sa.select(Entry.leaf_hash).where(
        Entry.country_code == "KZ").order_by(Entry.seq)))
    db.session.execute(ledger.LOGS.update().where(ledger.LOGS.c.country_code == "KZ").values(
        frontier=frontier.to_bytes(), root_hash=frontier.root()))
    as_superuser("UPDATE logbook_balances SET quantity = quantity + 100 WHERE substance_code = :s",
                 s=victim["substance_code"])
    result = run_verify(app)
    assert result.exit_code == 1
    assert first_bad(result.output) == (7000, victim["id"])
    assert "entry_mac_invalid" in result.output and "checkpoint_mismatch" in result.output


def test_forged_checkpoint_signature_is_caught(app, big_log):
    row = db.session.execute(sa.text("SELECT id, text FROM logbook_checkpoints ORDER BY tree_size DESC LIMIT 1")).one()
    signature_line = row.text.rsplit(" ", 1)
    forged = signature_line[0] + " " + ("A" * 86) + "\n"
    as_superuser("UPDATE logbook_checkpoints SET text = :t WHERE id = :id", t=forged, id=row.id)
    result = run_verify(app)
    assert result.exit_code == 1 and "checkpoint_signature" in result.output


def test_stored_subtrees_keep_proofs_small_and_a_changed_one_is_caught(app, big_log, monkeypatch):
    from certreg.logbook import checkpointing
    from certreg.logbook.merkle import NODE_LEVEL, StoredTree, inclusion_path
    from certreg.logbook.models import LogNode

    stored = set(db.session.execute(sa.select(LogNode.level, LogNode.position).where(LogNode.country_code == "KZ")))
    assert stored == {(level, position) for level in range(NODE_LEVEL, N.bit_length())
                      for position in range(N >> level)}  # every complete subtree of >= 1,024 entries

    read = checkpointing.leaf_reader
    counted: list[int] = []

    def counting_reader(country_code):
        inner = read(country_code)

        def leaves(offset, width):
            counted.append(width)
            return inner(offset, width)
        return leaves

    monkeypatch.setattr(checkpointing, "leaf_reader", counting_reader)
    victim = entry_at(6000)
    proof = checkpointing.inclusion_proof(Actor.system("tests"), victim["id"])
    assert proof["verified"] and proof["tree_size"] == N
    assert sum(counted) < 2 * 1024  # its own block of 1,024 and the incomplete tail, not 10,000 leaves
    without_nodes = inclusion_path(StoredTree(N, read("KZ")), 6000, N)
    assert [base64.b64encode(h).decode() for h in without_nodes] == proof["inclusion_path"]

    sibling = (LogNode.country_code == "KZ", LogNode.level == 12, LogNode.position == 0)  # of entry 6000's half
    db.session.execute(sa.update(LogNode).where(*sibling).values(hash=b"\x00" * 32))
    assert not checkpointing.inclusion_proof(Actor.system("tests"), victim["id"])["verified"]
    result = run_verify(app)
    assert result.exit_code == 1 and "node_changed" in result.output and "entries 0..4095" in result.output
