"""Certification status as the public registry search shows it: the certificates feature's answer to
:class:`certreg.registry.status.CertificationStatus` (given to the registry by the app factory, so that the
registry, which the certificates build on, imports nothing of them)."""

from __future__ import annotations

from collections.abc import Sequence

from certreg.certificates import queries, states
from certreg.registry.models import Company, Technician
from certreg.registry.status import HolderIds, Summary


def holders_by_certificate_number(text: str) -> HolderIds:
    """Holders whose certificate has the number ``text`` (empty lists if none)."""
    cert = queries.find_by_number(text)
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
