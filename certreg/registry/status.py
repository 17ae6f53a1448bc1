"""Certification status as the public registry shows it.

The registry asks the certificates feature through this one module, so the registry
pages do not reach into certificate tables themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from certreg.registry.models import Company, Technician


@dataclass(frozen=True)
class Summary:
    status: str = "not_certified"  # valid | suspended | revoked | expired | not_certified
    certificates: tuple[dict, ...] = field(default_factory=tuple)


class HolderIds(NamedTuple):
    technicians: list[int]
    companies: list[int]


def holders_by_certificate_number(text: str) -> HolderIds:
    """Holders whose certificate has the number ``text`` (empty lists if none)."""
    return HolderIds([], [])


def public_summaries(
    technicians: Sequence[Technician], companies: Sequence[Company]
) -> dict[tuple[str, int], Summary]:
    result = {("technician", t.id): Summary() for t in technicians}
    result.update({("company", c.id): Summary() for c in companies})
    return result
