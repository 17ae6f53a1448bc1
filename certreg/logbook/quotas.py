"""Quotas as the logbook's rule path needs them: what it asks, not how.

The quotas feature builds on the logbook (its ledger lines are leaves of the countries' logs), so
the logbook does not import it: the app factory gives it the quotas' answer
(:mod:`certreg.quotas.usage`) with :func:`provide`, and :func:`certreg.logbook.recording.check_entry`
asks through :func:`source` (an app without one checks no quota).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from flask import Flask, current_app

from certreg.actors import Actor
from certreg.logbook.rules import Draft


class QuotaBook(Protocol):
    def check(self, company_id: int, on: date, substance_code: str, kg: Decimal, condition: str,
              exempted_use: str | None) -> list[Any]:
        """The import's uses of the company's quota, reserved in this book.

        :raise ValidationFailed: ``quota_exceeded``.
        """


class Quotas(Protocol):
    def book(self, country_code: str) -> QuotaBook:
        """The country's quotas as this transaction sees them under the log lock."""

    def use_rows(self, country_code: str, uses: list[Any], entry_id: int, now: datetime, label: str,
                 user_id: int | None) -> list[dict[str, Any]]:
        """The ledger rows of an entry's uses (written by :meth:`write_uses` after the entry)."""

    def write_uses(self, rows: list[dict[str, Any]]) -> None: ...

    def release(self, country_code: str, entry_id: int, now: datetime, label: str, user_id: int | None) -> None:
        """A reversed import gives back what it used."""


_KEY = "certreg.quotas"


def provide(app: Flask, answer: Quotas) -> None:
    app.extensions[_KEY] = answer


def source() -> Quotas | None:
    """The quotas the app was given (:func:`provide`), or None."""
    return current_app.extensions.get(_KEY)


# --- what the rule path and the appenders call -------------------------------------------------


def check(country_code: str, company_id: int | None, draft: Draft, quota: QuotaBook | None = None) -> list[Any]:
    """The uses of an import by a company (``quota``: the transaction's book, else a fresh one).

    :raise ValidationFailed: ``quota_exceeded``.
    """
    quotas = source()
    if quota is None and quotas is None:
        return []
    book = quota if quota is not None else quotas.book(country_code)
    return book.check(company_id, draft.operation_date, draft.substance.code, draft.quantity or Decimal(0),
                      draft.condition.value, draft.exempted_use.value if draft.exempted_use else None)


def use_rows(uses: list[Any] | None, entry_id: int, country_code: str, now: datetime,
             actor: Actor) -> list[dict[str, Any]]:
    """The quota ledger's use lines of an appended entry (most entries have none)."""
    quotas = source()
    if not uses or quotas is None:
        return []
    return quotas.use_rows(country_code, uses, entry_id, now, actor.label, actor.user_id)


def write_uses(uses: list[Any] | None, entry_id: int, country_code: str, now: datetime, actor: Actor) -> None:
    """Write the use lines of an entry just appended."""
    rows = use_rows(uses, entry_id, country_code, now, actor)
    if rows:
        source().write_uses(rows)


def release(country_code: str, entry_id: int, now: datetime, actor: Actor) -> None:
    """A reversed import gives back the quota it used."""
    quotas = source()
    if quotas is not None:
        quotas.release(country_code, entry_id, now, actor.label, actor.user_id)
