"""What the public label check ``/c/<token>`` says, online and offline, in the reader's language.

Its strings are public (``scripts/i18n.py`` PUBLIC_SOURCES): every verifier language has them,
so an inspector anywhere in the region reads the verdict in their language, also offline (the
service worker keeps the offline page as the phone asked for it).
"""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import gettext as _

from certreg.cylinders import scanning
from certreg.cylinders.models import CONDITION_LABELS, KIND_LABELS

#: The verdicts a label status list gives (a peer's label online; any label offline).
DESTROYED, SUSPENDED = scanning.DESTROYED, scanning.SUSPENDED
COLOURS = {scanning.GENUINE: "ok", scanning.UNKNOWN: "warn", scanning.FORGED: "bad", DESTROYED: "bad",
           SUSPENDED: "bad"}

_cache: dict[str, dict] = {}


def verdict_texts() -> dict[str, dict[str, str]]:
    """Word, colour and explanation of each online verdict (built once per language)."""
    language = str(get_locale() or "en")
    texts = _cache.get(language)
    if texts is None:
        texts = _cache[language] = _verdict_texts()
    return texts


def _verdict_texts() -> dict[str, dict[str, str]]:
    return {
        scanning.GENUINE: {"word": _("GENUINE LABEL"), "colour": "ok",
                           "detail": _("The label was signed by the registry and the cylinder is registered.")},
        scanning.UNKNOWN: {"word": _("UNKNOWN"), "colour": "warn",
                           "detail": _("The label could not be matched to a registered cylinder (unknown key or "
                                       "serial). Check it online or call the national ozone unit.")},
        scanning.FORGED: {"word": _("FORGED"), "colour": "bad",
                          "detail": _("This is not a genuine label: the signature does not verify. Treat the "
                                      "cylinder as suspect.")},
        DESTROYED: {"word": _("DESTROYED"), "colour": "bad",
                    "detail": _("The register says this cylinder was destroyed or its label withdrawn: it "
                                "should not be in circulation.")},
        SUSPENDED: {"word": _("LOST OR SEIZED"), "colour": "bad",
                    "detail": _("The register says this cylinder was reported lost or stolen, or seized.")},
    }


def online_texts() -> dict[str, str]:
    """What the online page's script may say (once the offline copy is refreshed)."""
    return {"synced": _("Ready to check cylinder labels offline.")}


def offline_texts() -> dict:
    """Everything the offline page says (no English lives in JavaScript)."""
    online = verdict_texts()
    return {
        "verdicts": {
            scanning.GENUINE: {"word": online[scanning.GENUINE]["word"],
                               "detail": _("The label was signed by the registry. Checked on this phone without a "
                                           "connection: what the register says now is not shown.")},
            scanning.UNKNOWN: online[scanning.UNKNOWN],
            scanning.FORGED: online[scanning.FORGED],
            DESTROYED: online[DESTROYED],
            SUSPENDED: online[SUSPENDED],
        },
        "colours": COLOURS,
        "labels": {"serial": _("Serial"), "kind": _("Type"), "contents": _("Contents"),
                   "labelledOn": _("Labelled on"), "country": _("Issuing country")},
        "kinds": {k.value: str(v) for k, v in KIND_LABELS.items()},
        "conditions": {k.value: str(v) for k, v in CONDITION_LABELS.items()},
        "statusAsOf": _("Checked offline on this phone. Status as of %(time)s.", time="{time}"),
        "statusStale": _("The status list on this phone is more than %(days)s days old: connect to the internet "
                         "to refresh it before relying on the status.", days="{days}"),
        "statusUnchecked": _("The status (destroyed, lost or seized) could not be checked offline: open this page "
                             "once with a connection."),
        "peerOrigin": _("Issued in a partner installation (%(origin)s); its keys and statuses on this phone are as "
                        "of %(time)s.", origin="{origin}", time="{time}"),
        "offlineNoData": _("This phone has no trust list yet. Open any label or certificate check once with an "
                           "internet connection, then scanning works offline."),
        "synced": _("Ready to check cylinder labels offline."),
    }
