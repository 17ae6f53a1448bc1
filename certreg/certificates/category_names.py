"""The built-in categories' names as messages, so that every language of the catalogues has them.

``data/categories.csv`` holds each built-in category's English and Russian name (stored in the database as
``names``); for any other language :meth:`CertificateCategory.name` shows the translation of the English name
marked here (a test keeps this list equal to the file's). National scopes added by administrators have only
the names they were given.
"""

from __future__ import annotations

from flask_babel import get_locale, gettext


def N_(text: str) -> str:  # noqa: N802 (the usual name of the marker; scripts/i18n.py extracts it)
    return text


BUILT_IN = frozenset({
    N_("All activities on stationary refrigeration, air-conditioning and heat pump equipment of any charge, "
       "with fluorinated gases and their alternatives"),
    N_("All activities on small equipment (charge below 3 kg, hermetically sealed below 6 kg), fluorinated "
       "gases and hydrocarbons"),
    N_("Refrigeration units of refrigerated trucks, trailers, light-duty vehicles, intermodal containers and"
       " train wagons"),
    N_("Recovery of refrigerant from equipment with a charge below 3 kg"),
    N_("Leak checks without breaking into the refrigerant circuit"),
    N_("Organic Rankine cycle equipment"),
    N_("Category I (legacy): all activities, any charge, fluorinated gases"),
    N_("Category II (legacy): all activities on equipment below 3 kg (hermetically sealed below 6 kg); leak "
       "checks of any equipment that do not break into the circuit"),
    N_("Category III (legacy): recovery from equipment below 3 kg"),
    N_("Category IV (legacy): leak checks without breaking into the refrigerant circuit"),
    N_("Service company: installation, repair, maintenance, servicing and decommissioning for third parties"),
    N_("Dealer / distributor of refrigerants"),
    N_("Importer / exporter of controlled substances (under licence)"),
    N_("Recovery, recycling and reclamation of refrigerants and halons"),
    N_("Destruction of controlled substances"),
    N_("Fire protection systems with halons: servicing, recovery and decommissioning"),
})


def translated(english: str, language: str | None) -> str | None:
    """The built-in name ``english`` in ``language`` if that is the language being served, else None."""
    if english in BUILT_IN and language and str(get_locale() or "") == language:
        return gettext(english)
    return None
