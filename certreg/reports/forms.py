"""The reports' query forms (GET, no CSRF) and the review form. Syntax only; the services check the rest."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField

from certreg.forms import BaseForm, DataRequired, Length, NumberRange, Optional, Regexp, choices
from certreg.logbook.models import ENTRY_KIND_LABELS
from certreg.reports.figures import ANNEX_ORDER, GROUP_ORDER, Breakdown, Column
from certreg.reports.models import ANOMALY_KIND_LABELS, REVIEW_STATE_LABELS, ReviewState
from certreg.reports.services import MAX_NOTE
from certreg.reports.texts import BREAKDOWN_LABELS, COLUMN_LABELS, HOLDER_KIND_LABELS
from certreg.vocabulary import HolderKind

COUNTRY = Regexp(r"^[A-Za-z]{2}$", message=_l("Use the two-letter country code, e.g. KZ."))
FIRST_YEAR, LAST_YEAR = 1987, 2100


class QueryForm(BaseForm):
    class Meta:
        csrf = False

    country = StringField(_l("Country"), validators=[Optional(), COUNTRY])


class YearForm(QueryForm):
    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(FIRST_YEAR, LAST_YEAR)])


class BreakdownForm(YearForm):
    by = SelectField(_l("Breakdown"), validators=[Optional()], default=Breakdown.MONTH.value,
                     choices=choices((b.value, BREAKDOWN_LABELS[b]) for b in Breakdown))


class PeriodForm(QueryForm):
    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(FIRST_YEAR, LAST_YEAR)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("Until"), validators=[Optional()])


def _optional_choices(label, pairs):
    return choices([("", label), *pairs])


class EntriesForm(PeriodForm):
    column = SelectField(_l("Article 7 column"), validators=[Optional()],
                         choices=_optional_choices(_l("Any"), ((c.value, COLUMN_LABELS[c]) for c in Column)))
    substance = StringField(_l("Controlled substance"), validators=[Optional(), Length(max=32)])
    annex = SelectField(_l("Annex"), validators=[Optional()],
                        choices=_optional_choices(_l("Any"), ((a, a) for a in ANNEX_ORDER)))
    group = SelectField(_l("Group"), validators=[Optional()],
                        choices=_optional_choices(_l("Any"), ((g, g) for g in GROUP_ORDER)))
    month = IntegerField(_l("Month"), validators=[Optional(), NumberRange(1, 12)])
    holder_kind = SelectField(_l("Holder kind"), validators=[Optional()],
                              choices=_optional_choices(_l("Any"), ((k.value, HOLDER_KIND_LABELS[k])
                                                                    for k in HolderKind)))
    logbook_id = IntegerField(_l("Logbook"), validators=[Optional(), NumberRange(1)])
    partner_country = StringField(_l("Partner country"), validators=[Optional(), Regexp("^[A-Za-z]{2}$")],
                                  filters=[lambda v: v.upper() if v else v])
    kind = SelectField(_l("Kind of entry"), validators=[Optional()],
                       choices=_optional_choices(_l("Any"), ((k.value, v) for k, v in ENTRY_KIND_LABELS.items())))


class AnomalyFilterForm(PeriodForm):
    kind = SelectField(_l("Kind"), validators=[Optional()],
                       choices=_optional_choices(_l("All kinds"),
                                                 ((k.value, v) for k, v in ANOMALY_KIND_LABELS.items())))
    state = SelectField(_l("Status"), validators=[Optional()], default=ReviewState.OPEN.value,
                        choices=choices((s.value, REVIEW_STATE_LABELS[s]) for s in ReviewState))


class AnomalyForm(PeriodForm):
    equipment = IntegerField(_l("Equipment"), validators=[Optional(), NumberRange(1)])


class ReviewForm(BaseForm):
    note = TextAreaField(_l("Note: what you found or decided"), validators=[DataRequired(), Length(max=MAX_NOTE)])
    fingerprint = HiddenField(validators=[DataRequired(), Length(min=64, max=64)])
    date_from = HiddenField()
    date_to = HiddenField()
    equipment = HiddenField()


class AssignForm(BaseForm):
    assignee = SelectField(_l("Assign to"), coerce=int, validators=[DataRequired()],
                           description=_l("They get an e-mail with a link to this anomaly."))
    note = TextAreaField(_l("Note for them (optional)"), validators=[Optional(), Length(max=MAX_NOTE)])
    date_from = HiddenField()
    date_to = HiddenField()
    equipment = HiddenField()


class LogCheckForm(BaseForm):
    """Only the CSRF token: run the tamper check now."""
