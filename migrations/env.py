"""Alembic environment: the Flask app's engine and the metadata of every feature."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

import certreg.models  # noqa: F401  (registers every table on the metadata)

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def get_metadata():
    return target_db.metadata


from importlib import util  # noqa: E402
from pathlib import Path  # noqa: E402

_spec = util.spec_from_file_location("certreg_migrations_env_hooks", Path(__file__).with_name("env_hooks.py"))
_hooks = util.module_from_spec(_spec)
_spec.loader.exec_module(_hooks)
include_object = _hooks.include_object
render_item = _hooks.render_item


def run_migrations_offline():
    context.configure(
        url=target_db.engine.url.render_as_string(hide_password=False),
        target_metadata=get_metadata(),
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("render_as_batch", True)
    conf_args.setdefault("compare_type", True)
    conf_args.setdefault("include_object", include_object)
    conf_args.setdefault("render_item", render_item)

    connectable = target_db.engine
    with connectable.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.driver_connection if sqlite else None
        if raw is not None:
            # A batch migration copies a table, drops the old one and renames the copy. With foreign keys
            # on, SQLite refuses to drop a table other rows point at (equipment_interventions, inspections,
            # ... on any database with data): they are switched off for the migrations, as Alembic's
            # documentation advises. The PRAGMA works only outside a transaction, so it goes to the DBAPI
            # connection (which the app runs in autocommit, certreg.transactions) before and after them;
            # then every reference is checked (tests/test_migrations.py).
            raw.execute("PRAGMA foreign_keys = OFF")
        try:
            context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if raw is not None:
                if connection.in_transaction():  # SQLite's DDL is not transactional here: each migration
                    connection.rollback()         # committed its own; nothing of ours is pending
                raw.execute("PRAGMA foreign_keys = ON")
        if raw is not None:
            dangling = raw.execute("PRAGMA foreign_key_check").fetchall()
            if dangling:
                raise RuntimeError(f"the migrations left rows pointing at nothing (table, rowid, parent): "
                                   f"{dangling[:5]}")

if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
