"""The public registry search: technicians and companies with their certification status, public fields only."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from certreg.extensions import db
from certreg.registry import status
from certreg.registry.models import Company, Technician
from certreg.registry.services import like_escape


@dataclass(frozen=True)
class PublicRecord:
    """What anybody may know about a registered technician or company."""

    kind: str  # "technician" | "company"
    id: int
    name: str
    name_latin: str
    country_code: str
    companies: tuple[str, ...]
    registration_number: str | None
    certification_status: str
    certificates: tuple[dict, ...] = ()


def public_search(q: str, *, country_code: str | None = None, limit: int = 50) -> list[PublicRecord]:
    """Search technicians and companies by name, certificate or registration number.

    Returns only public fields: never national ID, date of birth or contact details.
    """
    # One piece on purpose: one query per holder kind, then the public record of each (what anybody sees).
    q = (q or "").strip()
    if len(q) < 2:
        return []
    needle = f"%{like_escape(q.casefold())}%"
    technicians_q = sa.select(Technician).where(Technician.search_key.like(needle, escape="\\"))
    companies_q = sa.select(Company).where(
        sa.or_(Company.search_key.like(needle, escape="\\"), Company.registration_number == q)
    )
    certification = status.source()
    holder_ids = certification.holders_by_certificate_number(q)
    if holder_ids.technicians:
        technicians_q = sa.select(Technician).where(
            sa.or_(Technician.search_key.like(needle, escape="\\"), Technician.id.in_(holder_ids.technicians))
        )
    if holder_ids.companies:
        companies_q = sa.select(Company).where(
            sa.or_(
                Company.search_key.like(needle, escape="\\"),
                Company.registration_number == q,
                Company.id.in_(holder_ids.companies),
            )
        )
    if country_code:
        technicians_q = technicians_q.where(Technician.country_code == country_code)
        companies_q = companies_q.where(Company.country_code == country_code)
    technicians = db.session.scalars(technicians_q.order_by(Technician.full_name_latin).limit(limit)).all()
    companies = db.session.scalars(companies_q.order_by(Company.name_latin).limit(limit)).all()
    summaries = certification.public_summaries(technicians, companies)
    records = [
        PublicRecord(
            kind="technician",
            id=t.id,
            name=t.full_name,
            name_latin=t.full_name_latin,
            country_code=t.country_code,
            companies=tuple(c.legal_name for c in t.current_employers),
            registration_number=None,
            certification_status=summaries[("technician", t.id)].status,
            certificates=summaries[("technician", t.id)].certificates,
        )
        for t in technicians
    ] + [
        PublicRecord(
            kind="company",
            id=c.id,
            name=c.legal_name,
            name_latin=c.name_latin,
            country_code=c.country_code,
            companies=(),
            registration_number=c.registration_number,
            certification_status=summaries[("company", c.id)].status,
            certificates=summaries[("company", c.id)].certificates,
        )
        for c in companies
    ]
    return records[:limit]
