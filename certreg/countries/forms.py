"""The country settings form: one date per control group, the used-ODS policy, the leak threshold, texts."""

from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, TextAreaField

from certreg.countries import protocol
from certreg.countries.models import USED_ODS_SALES_LABELS
from certreg.countries.services import MAX_DAYS, MAX_PENALTIES, ban_key, penalties_key
from certreg.forms import BaseForm, CodeSelectField, KilogramsField, Length, NumberRange, Optional, choices


@cache
def settings_form(languages: tuple[str, ...]) -> type[BaseForm]:
    """The form class for an installation's languages (a penalties text per language)."""
    fields = {ban_key(group): DateField(protocol.CONTROL_GROUP_LABELS[group], validators=[Optional()])
              for group in protocol.CONTROL_GROUPS}
    fields["used_ods_sales"] = CodeSelectField(
        _l("After a ban: used (recovered, recycled, reclaimed) stock that may still be sold or imported"),
        choices=choices((k.value, v) for k, v in USED_ODS_SALES_LABELS.items()), validators=[Optional()])
    fields["leak_rate_threshold"] = KilogramsField(_l("Leak rate threshold (percent of the nominal charge a year)"),
                                                   validators=[Optional()])
    fields["company_certificate_required"] = BooleanField(
        _l("Importing, exporting and selling need a valid company certificate"))
    fields["licences_required"] = BooleanField(_l("An import must name a licence of the licence register"))
    fields["late_entry_days"] = IntegerField(_l("Late entries: a reason is needed after (days)"),
                                             validators=[Optional(), NumberRange(min=0, max=MAX_DAYS)])
    fields["approval_days"] = IntegerField(_l("Late entries: a certifying officer's approval is needed after (days)"),
                                           validators=[Optional(), NumberRange(min=0, max=MAX_DAYS)])
    for language in languages:
        fields[penalties_key(language)] = TextAreaField(
            _l("Penalties (text in %(language)s)", language=language),
            validators=[Optional(), Length(max=MAX_PENALTIES)])
    return type("CountrySettingsForm", (BaseForm,), fields)
