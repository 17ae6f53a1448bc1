"""Certification status as the public registry shows it: what the registry needs to know, not how.

The certificates feature builds on the registry (a certificate belongs to a holder), so the registry
does not import it: the app factory gives it the certificates' answer
(:mod:`certreg.certificates.public_status`) with :func:`provide`, and the registry search asks through
:func:`source`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from flask import Flask, current_app

from certreg.registry.models import Company, Technician


@dataclass(frozen=True)
class Summary:
    status: str = "not_certified"  # valid | suspended | revoked | expired | not_certified
    certificates: tuple[dict, ...] = field(default_factory=tuple)


class HolderIds(NamedTuple):
    technicians: list[int]
    companies: list[int]


class CertificationStatus(Protocol):
    def holders_by_certificate_number(self, text: str) -> HolderIds:
        """Holders whose certificate has the number ``text`` (empty lists if none)."""

    def public_summaries(self, technicians: Sequence[Technician],
                         companies: Sequence[Company]) -> dict[tuple[str, int], Summary]:
        """Each holder's status today, by ``(kind, id)``."""


_KEY = "certreg.certification_status"


def provide(app: Flask, answer: CertificationStatus) -> None:
    app.extensions[_KEY] = answer


def source() -> CertificationStatus:
    """The certification status the app was given (:func:`provide`)."""
    return current_app.extensions[_KEY]
