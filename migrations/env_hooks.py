"""Autogenerate hooks shared by env.py and tests/test_migrations.py."""

from sqlalchemy.types import TypeDecorator


def include_object(obj, name, type_, reflected, compare_to):
    """Compare only what the models describe.

    Objects that exist only in migrations (e.g. the ``alembic_version`` table) are skipped.
    """
    return not (type_ == "table" and reflected and compare_to is None and name == "alembic_version")


def render_item(type_, obj, autogen_context):
    """Render certreg's TypeDecorators as their plain SQLAlchemy type, so migrations don't import app code."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return "sa." + repr(obj.impl)
    return False
