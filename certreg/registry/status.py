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
    from certreg.certificates.queries import find_by_number

    cert = find_by_number(text)
    if cert is None:
        return HolderIds([], [])
    if cert.technician_id is not None:
        return HolderIds([cert.technician_id], [])
    return HolderIds([], [cert.company_id])


def public_summaries(
    technicians: Sequence[Technician], companies: Sequence[Company]
) -> dict[tuple[str, int], Summary]:
    """Each holder's status today: that of the certificate that speaks for them (see
    ``certificate_for_holder``), and the public facts of that certificate."""
    from certreg.certificates import queries, states

    day = states.today()
    result = {}
    for kind, holders in (("technician", technicians), ("company", companies)):
        for holder in holders:
            cert = queries.certificate_for_holder(kind, holder.id, day)
            if cert is None:
                result[(kind, holder.id)] = Summary()
                continue
            state = states.state_on(cert, day).value
            status = "valid" if state in ("valid", "not_yet_valid") else state
            result[(kind, holder.id)] = Summary(status=status, certificates=({
                "number": cert.number, "status": state, "valid_until": cert.valid_until.isoformat(),
                "categories": cert.category_codes,
            },))
    return result
