"""The certificate categories offered: the built-in ones (``categories.csv``) and national scopes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.certificates import categories as catdata
from certreg.certificates import trust
from certreg.certificates.access import can_manage_categories
from certreg.certificates.models import CategoryScheme, CertificateCategory
from certreg.certificates.token import MAX_CATEGORIES
from certreg.errors import ValidationFailed
from certreg.extensions import db
from certreg.registry.models import Country
from certreg.vocabulary import HolderKind


def active_categories(holder_kind: HolderKind | str | None = None, country_code: str | None = None,
                      *, include_inactive: bool = False) -> list[CertificateCategory]:
    """International categories plus the national scopes of ``country_code``."""
    query = sa.select(CertificateCategory)
    if holder_kind is not None:
        query = query.where(CertificateCategory.holder_kind == HolderKind(holder_kind))
    if country_code is not None:
        query = query.where(sa.or_(CertificateCategory.country_code.is_(None),
                                   CertificateCategory.country_code == country_code))
    if not include_inactive:
        query = query.where(CertificateCategory.is_active)
    return list(db.session.scalars(query.order_by(CertificateCategory.sort_order, CertificateCategory.code)))


def categories_for(codes: Sequence[str], holder_kind: HolderKind, country_code: str,
                    valid_until: date) -> list[CertificateCategory]:
    wanted = [c.strip().upper() for c in codes if c and c.strip()]
    if not wanted:
        raise ValidationFailed.for_field("categories", _("Choose at least one category."), "required")
    if len(set(wanted)) != len(wanted):
        raise ValidationFailed.for_field("categories", _("A category is listed twice."), "duplicate_category")
    if len(wanted) > MAX_CATEGORIES:
        raise ValidationFailed.for_field("categories", _("Too many categories."), "too_many_categories")
    found = {c.code: c for c in active_categories(holder_kind, country_code)}
    result = []
    for code in wanted:
        category = found.get(code)
        if category is None:
            raise ValidationFailed.for_field(
                "categories",
                _("Category %(code)s does not exist for this kind of holder in this country.", code=code),
                "unknown_category",
            )
        if category.valid_until is not None and valid_until > category.valid_until:
            raise ValidationFailed.for_field(
                "valid_until",
                _("Category %(code)s counts only until %(date)s; end the certificate by then.",
                  code=code, date=category.valid_until.isoformat()),
                "category_ends_earlier",
            )
        result.append(category)
    return result


@dataclass
class CategoryData:
    country_code: str
    code: str
    name_en: str
    name_ru: str
    activities: list[str]
    substances: list[str]
    holder_kind: str = "technician"


def create_national_scope(actor: Actor, data: CategoryData) -> CertificateCategory:
    """A national category of ``country_code`` (administrators of that country)."""
    country = db.session.get(Country, (data.country_code or "").upper())
    if country is None:
        raise ValidationFailed.for_field("country_code", _("Unknown country."), "unknown_country")
    actor.require(can_manage_categories(actor, country.code))
    code = (data.code or "").strip().upper()
    if not catdata.CODE_RE.fullmatch(code) or not code.startswith(country.code + "-"):
        raise ValidationFailed.for_field(
            "code", _("Use %(country)s- followed by letters and digits, at most 16 characters in all.",
                      country=country.code), "invalid_code")
    if db.session.scalar(sa.select(CertificateCategory.id).where(CertificateCategory.code == code)):
        raise ValidationFailed.for_field("code", _("This code is already in use."), "duplicate_code")
    try:
        activities = catdata.parse_activities(data.activities)
        substances = catdata.parse_substances(data.substances)
    except catdata.CategoryDataError:
        raise ValidationFailed.for_field("activities", _("Choose from the listed values."), "invalid_choice") from None
    if not activities:
        raise ValidationFailed.for_field("activities", _("Choose at least one activity."), "required")
    if not substances:
        raise ValidationFailed.for_field("substances", _("Choose at least one substance class."), "required")
    try:
        holder_kind = HolderKind(data.holder_kind)
    except ValueError:
        raise ValidationFailed.for_field("holder_kind", _("Choose from the listed values."), "invalid_choice") from None
    category = CertificateCategory(
        code=code, scheme=CategoryScheme.NATIONAL, country_code=country.code, holder_kind=holder_kind,
        activities=sorted(a.value for a in activities), substances=sorted(substances),
        names={"en": data.name_en.strip(), "ru": data.name_ru.strip()}, source=f"National scope of {country.code}",
        sort_order=300,
    )
    db.session.add(category)
    db.session.flush()
    audit.record(actor, "certificate_category.create", category, object_id=code, country_code=country.code,
                 summary=audit.msg("National certificate scope %(code)s", code=code),
                 after={"activities": category.activities, "substances": category.substances, "names": category.names})
    return category


def sync_builtin_categories(actor: Actor) -> list[str]:
    """Make the built-in categories match ``categories.csv``; returns the codes added or changed."""
    actor.require(actor.is_system)
    changed = []
    existing = {c.code: c for c in db.session.scalars(sa.select(CertificateCategory))}
    for d in catdata.load_definitions():
        values = dict(
            scheme=d.scheme, holder_kind=HolderKind(d.holder_kind), country_code=None,
            activities=sorted(a.value for a in d.activities), substances=sorted(d.substances),
            max_charge_kg=str(d.max_charge_kg) if d.max_charge_kg is not None else None,
            valid_until=d.valid_until, names=dict(d.names), source=d.source, sort_order=d.sort_order,
        )
        row = existing.get(d.code)
        if row is None:
            db.session.add(CertificateCategory(code=d.code, **values))
            changed.append(d.code)
            continue
        current = {k: getattr(row, k) for k in values}
        current["activities"], current["substances"] = sorted(row.activities), sorted(row.substances)
        if current != values:
            for key, value in values.items():
                setattr(row, key, value)
            changed.append(d.code)
    db.session.flush()
    if changed:
        audit.record(actor, "certificate_category.sync", object_type="certificate_category",
                     summary=audit.msg("Built-in categories synchronised: %(codes)s", codes=", ".join(changed)))
    return changed


def category_names(language: str) -> dict[str, str]:
    """Category code -> name in ``language`` (cached like the trust list)."""
    return trust.cached(f"categories:{language}", "TRUST_LIST_CACHE_SECONDS", lambda: {
        c.code: c.name(language) for c in active_categories(include_inactive=True)})
