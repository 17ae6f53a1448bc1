"""What the reports say in words: column names, notes, anomaly summaries and score explanations."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from certreg.reports import cylinder_anomalies
from certreg.reports.anomalies import Anomaly
from certreg.reports.figures import Breakdown, Column, Direction
from certreg.reports.models import ANOMALY_KIND_LABELS, AnomalyKind
from certreg.reports.scores import Term
from certreg.vocabulary import HolderKind

COLUMN_LABELS = {
    Column.IMPORTS_NEW: _l("Imports, new"),
    Column.IMPORTS_EXEMPTED: _l("of which for exempted uses (feedstock, process agent, laboratory, essential, "
                                "critical, QPS)"),
    Column.IMPORTS_RECOVERED: _l("Imports, recovered or reclaimed"),
    Column.EXPORTS_NEW: _l("Exports, new"),
    Column.EXPORTS_RECOVERED: _l("Exports, recovered or reclaimed"),
    Column.PRODUCTION: _l("Production"),
    Column.FEEDSTOCK: _l("Feedstock"),
    Column.QPS: _l("Quarantine and pre-shipment (methyl bromide)"),
    Column.EXEMPTED_USES: _l("Exempted uses (essential, critical, laboratory)"),
    Column.DESTRUCTION: _l("Destruction"),
    Column.CALCULATED_PRODUCTION: _l("Calculated production"),
    Column.CONSUMPTION: _l("Consumption"),
}

BREAKDOWN_LABELS = {
    Breakdown.MONTH: _l("Per month"),
    Breakdown.HOLDER_KIND: _l("Per holder kind"),
    Breakdown.YEAR: _l("Trends across years"),
    Breakdown.PARTNER_COUNTRY: _l("Imports by exporting country, exports by country of destination"),
}

DIRECTION_LABELS = {
    Direction.IMPORTS: _l("Imports"),
    Direction.EXPORTS: _l("Exports"),
}

HOLDER_KIND_LABELS = {
    HolderKind.COMPANY: _l("Companies"),
    HolderKind.TECHNICIAN: _l("Technicians"),
}

HOLDER_LABELS = {
    HolderKind.COMPANY: _l("Company"),
    HolderKind.TECHNICIAN: _l("Technician"),
}


def notes() -> list[str]:
    """What every Article 7 report says about itself."""
    return [
        _("Blends are reported by their components (mass fractions of the ASHRAE composition); only "
          "controlled components count."),
        _("ODP tonnes for Annexes A, B, C and E; CO2-equivalent tonnes for Annex F (Annex F GWPs)."),
        _("Production, feedstock use, quarantine and pre-shipment use of methyl bromide and exempted uses "
          "(essential, critical, laboratory and analytical, with their decision) come from the logbook entries "
          "of those kinds."),
        _("Calculated production = production − destruction − feedstock (Article 1(5)); consumption = "
          "calculated production + new imports − new exports (Article 1(6)), so destruction and feedstock use "
          "lower consumption, which may be negative; recovered and reclaimed substances do not count (decision "
          "IV/24); quarantine and pre-shipment uses are left out (Article 2H(6)); imports for exempted uses are "
          "left out, except those for feedstock or quarantine and pre-shipment, which count until their use is "
          "recorded; exempted uses stay in consumption."),
        _("Imports are also given by exporting country and exports by country of destination (data forms 2 and "
          "3): in the XLSX sheet \"By partner country\" and the JSON member by_partner_country; the CSV holds "
          "the table per substance only."),
        _("A reversed entry and its reversal are left out of every figure."),
    ]


def kind_label(kind: AnomalyKind) -> str:
    return str(ANOMALY_KIND_LABELS[kind])


def plain(value: Decimal) -> str:
    """A Decimal as plain positional text without trailing zeros: ``0.0066368``, ``100``, ``0``."""
    if not value:
        return "0"
    return format(value.normalize(), "f")


def _kg(text: str) -> str:
    """``"120.000"`` -> ``"120"``: kilograms as read, without trailing zeros."""
    return plain(Decimal(text))


def _codes(codes: dict[str, int]) -> str:
    return ", ".join(f"{code} ×{n}" if n > 1 else code for code, n in codes.items())


def describe(anomaly: Anomaly) -> str:
    """One sentence saying what was found, with its figures."""
    f = anomaly.facts
    kind = anomaly.kind
    if kind is AnomalyKind.MASS_BALANCE:
        return _("%(n)s stock count(s) far from the books: %(gross)s kg differ in total (net %(net)s kg).",
                 n=f["counts"], gross=_kg(f["gross_kg"]), net=_kg(f["net_kg"]))
    if kind is AnomalyKind.REFUSED_ATTEMPTS:
        return _("%(n)s refused attempt(s) (%(codes)s), %(kg)s kg.", n=f["attempts"], codes=_codes(f["codes"]),
                 kg=_kg(f["kg"]))
    if kind is AnomalyKind.USED_WITHOUT_SOURCE:
        parts = ", ".join(f"{code} {_kg(v['gap_kg'])} kg" for code, v in f["substances"].items())
        return _("%(kg)s kg sold or exported as recovered, recycled or reclaimed beyond the recovery and confirmed "
                 "purchases recorded (%(parts)s).", kg=_kg(f["gap_kg"]), parts=parts)
    if kind is AnomalyKind.UNCONFIRMED_TRANSFER:
        return _("%(n)s sale(s) or export(s) to registered holders not confirmed: %(disputed)s disputed, "
                 "%(pending)s pending for more than %(days)s days; %(kg)s kg.", n=f["transfers"],
                 disputed=f["disputed"], pending=f["pending"], days=f["pending_days"], kg=_kg(f["kg"]))
    if kind is AnomalyKind.IMPORT_WITHOUT_PROOF:
        return _("%(n)s import(s) without complete proof of origin, %(kg)s kg.", n=f["imports"], kg=_kg(f["kg"]))
    if kind is AnomalyKind.LATE_ENTRY:
        return _("%(n)s entry(ies) recorded long after their date (up to %(days)s days), %(kg)s kg.",
                 n=f["entries"], days=f["most_days"], kg=_kg(f["kg"]))
    if kind is AnomalyKind.IMPORT_SURGE:
        return _("Imported %(kg)s kg: %(ratio)s times the average of %(average)s kg in the same period of earlier "
                 "years.", kg=_kg(f["kg"]), ratio=f["ratio"], average=_kg(f["average_kg"]))
    if kind is AnomalyKind.CHRONIC_LEAKER:
        return _("Equipment %(code)s (%(substance)s): %(added)s kg topped up in 12 months, %(percent)s%% of its "
                 "%(nominal)s kg charge (threshold %(threshold)s%%).", code=f["equipment"], substance=f["substance"],
                 added=_kg(f["added_kg"]), percent=f["percent"], nominal=_kg(f["nominal_charge_kg"]),
                 threshold=f["threshold_percent"])
    if kind is AnomalyKind.INSPECTION_FINDING:
        return _("Inspections %(ids)s: %(mismatches)s cylinder(s) whose contents do not match the label, "
                 "%(seizures)s seizure(s), %(kg)s kg seized.", ids=", ".join(map(str, f["inspections"])),
                 mismatches=f["mismatches"], seizures=f["seizures"], kg=_kg(f["seized_kg"]))
    if kind is AnomalyKind.SEIZURE_ABROAD:
        seized = "; ".join(_("%(country)s seized %(kg)s kg of %(substances)s at %(place)s on %(date)s (%(reference)s)",
                             country=a["seizing_country"], kg=_kg(a["kg"]), substances=", ".join(a["substances"]),
                             place=a["place"], date=a["seized_on"], reference=a["reference"])
                           + (_(", cylinders %(serials)s", serials=", ".join(a["serials"])) if a["serials"] else "")
                           for a in f["alerts"])
        return _("%(n)s seizure alert(s) from neighbouring installations: %(seized)s.", n=f["count"], seized=seized)
    if kind is AnomalyKind.TAMPER:
        if f.get("first_bad_seq") is not None:
            return _("The tamper check of %(date)s found %(n)s problem(s) (%(codes)s); the first bad entry is at "
                     "position %(seq)s of the log.", date=f["checked_at"][:10], n=f["problems"],
                     codes=_codes(f["codes"]), seq=f["first_bad_seq"])
        return _("The tamper check of %(date)s found %(n)s problem(s) (%(codes)s).", date=f["checked_at"][:10],
                 n=f["problems"], codes=_codes(f["codes"]))
    if kind in cylinder_anomalies.DETECTORS:
        return cylinder_anomalies.describe(anomaly)
    return kind_label(kind)


def explain(term: Term, kind: AnomalyKind) -> str:
    """One term of a score, in words."""
    p = term.params
    if term.code == "base":
        return _("%(points)s: %(kind)s", points=term.points, kind=kind_label(kind))
    if term.code == "quantity":
        return _("+%(points)s: %(kg)s kg at stake (10 × log10(1 + kg), at most 40)", points=term.points,
                 kg=_kg(p["kg"]))
    if term.code == "count":
        return _("+%(points)s: %(n)s occurrences (5 for each after the first, at most 30)", points=term.points,
                 n=p["n"])
    if term.code == "ratio":
        return _("+%(points)s: %(ratio)s times the reference (10 × log2(ratio), at most 30)", points=term.points,
                 ratio=p["ratio"])
    if term.code == "disputed":
        return _("+%(points)s: disputed by the counterpart", points=term.points)
    if term.code == "problems":
        return _("+%(points)s: %(n)s tamper-check problem(s) (10 each, at most 50)", points=term.points, n=p["n"])
    if term.code == "annex_ab":
        return _("+%(points)s: an Annex A or B substance (CFCs, halons, carbon tetrachloride ...)",
                 points=term.points)
    if term.code == "annex_ce":
        return _("+%(points)s: an Annex C or E substance (HCFCs, methyl bromide ...)", points=term.points)
    return f"+{term.points}: {term.code}"


def explanation(anomaly: Anomaly) -> str:
    return "; ".join(explain(t, anomaly.kind) for t in anomaly.terms)
