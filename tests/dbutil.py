"""Test databases: SQLite files, or PostgreSQL databases when TEST_DATABASE_URL says so.

Each pytest-xdist worker gets databases of its own, built by running the real migrations.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
IS_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
_TMP = Path(tempfile.mkdtemp(prefix=f"certreg-test-{WORKER}-"))

# Engine options for the race tests: 50 threads share 16 connections. PostgreSQL allows 100 clients in
# all, and the other xdist worker may hold two live installations' pools at the same time, so one test
# asking for 52 connections ran out ("too many clients already"). 16 still race on the same rows.
CONCURRENT_ENGINE_OPTIONS = {"pool_size": 16, "max_overflow": 0, "pool_timeout": 120}


def fresh_database(label: str) -> str:
    """A new, empty database; returns its SQLAlchemy URL."""
    if IS_POSTGRES:
        base = make_url(TEST_DATABASE_URL)
        name = f"{base.database}_{WORKER}_{label}"[:63]
        admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return base.set(database=name).render_as_string(hide_password=False)
    path = _TMP / f"{label}-{uuid.uuid4().hex[:8]}.sqlite3"
    return f"sqlite:///{path}"


def drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        parsed = make_url(url)
        admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        admin.dispose()
    elif url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)


def upgrade(app) -> None:
    """Build the schema the way production does: ``flask db upgrade``."""
    from flask_migrate import upgrade as alembic_upgrade

    with app.app_context():
        alembic_upgrade()
