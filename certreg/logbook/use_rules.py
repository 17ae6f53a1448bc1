"""The rules of the entries the Article 7 data forms need beyond trade: production and the uses that the
Protocol keeps apart (pure functions, no database; :mod:`certreg.logbook.rules` runs them for every channel).

* ``production`` (Article 1(5)): new substance made by a company with the producer activity (who records it:
  :data:`certreg.logbook.rules.HANDLER_ACTIVITIES`); it enters the producer's stock as virgin.
* ``feedstock_use``: substance entirely used up in making other chemicals; lowers calculated production.
* ``qps_use``: methyl bromide (Annex E) used for quarantine and pre-shipment, outside consumption
  (Article 2H(6)); refused for any other substance (``qps_only_methyl_bromide``).
* ``exempted_use``: an essential, critical (methyl bromide) or laboratory and analytical use, under a decision
  of the Meeting of the Parties named as ``Decision XXXVI/5`` (``decision_reference_required``).

The three uses take the substance out of the company's stock (only a company records them).
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _

from certreg.errors import ValidationFailed
from certreg.logbook.models import Condition, EntryKind, ExemptedUse

PRODUCTION_KINDS = frozenset({EntryKind.PRODUCTION})
USE_KINDS = frozenset({EntryKind.FEEDSTOCK_USE, EntryKind.QPS_USE, EntryKind.EXEMPTED_USE})
#: Kinds only a company records (production also needs the producer activity).
COMPANY_KINDS = USE_KINDS
#: The uses an ``exempted_use`` entry may state.
EXEMPTED_USE_CHOICES = frozenset({ExemptedUse.ESSENTIAL_USE, ExemptedUse.CRITICAL_USE, ExemptedUse.LABORATORY})
#: The control group of methyl bromide.
METHYL_BROMIDE_GROUP = "E/I"
#: A decision of the Meeting of the Parties: "Decision" then its meeting in Roman numerals and its number.
DECISION_REFERENCE = re.compile(r"Decision [IVXLC]+/\d{1,3}[A-Z]?")


def is_decision_reference(text: str | None) -> bool:
    """``Decision XXXVI/5`` (or ``Decision IV/25``, ``Decision XVII/9A``): the form of the Parties' decisions."""
    return bool(text) and DECISION_REFERENCE.fullmatch(text) is not None


def _refuse(field_name: str, message: str, code: str) -> ValidationFailed:
    return ValidationFailed.for_field(field_name, message, code)


def check_use(draft: Any) -> None:
    """Of a :class:`certreg.logbook.rules.Draft`: production is of new substance; QPS only for methyl
    bromide; an exempted use names its use and decision.

    :raise ValidationFailed: ``invalid_condition``, ``qps_only_methyl_bromide``, ``required``,
        ``not_applicable``, ``decision_reference_required``.
    """
    kind = draft.kind
    if kind is EntryKind.PRODUCTION and draft.condition is not Condition.VIRGIN:
        raise _refuse("condition", _("Production is of new (virgin) substance."), "invalid_condition")
    if kind is EntryKind.QPS_USE and METHYL_BROMIDE_GROUP not in draft.substance.groups:
        raise _refuse("substance", _("Quarantine and pre-shipment uses are recorded for methyl bromide only."),
                      "qps_only_methyl_bromide")
    if kind is not EntryKind.EXEMPTED_USE:
        return
    if draft.exempted_use is None:
        raise _refuse("exempted_use", _("Choose the exempted use: essential, critical, or laboratory and "
                                        "analytical."), "required")
    if draft.exempted_use not in EXEMPTED_USE_CHOICES:
        raise _refuse("exempted_use", _("An exempted use entry is for an essential, critical, or laboratory and "
                                        "analytical use (feedstock and quarantine uses have their own kinds)."),
                      "not_applicable")
    if not is_decision_reference(draft.exemption_reference):
        raise _refuse("exemption_reference", _("Name the decision of the Parties that exempts this use, e.g. "
                                               "“Decision XXXVI/5”."), "decision_reference_required")
