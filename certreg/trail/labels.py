"""What each audit action means, in the reader's language (the trail stores the action's code)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from certreg.logbook.models import ENTRY_KIND_LABELS, EntryKind
from certreg.trail.services import LOGBOOK_ACTION_PREFIX

ACTION_LABELS = {
    "account_policy.update": _l("Account rules changed"),
    "anomaly.review": _l("Anomaly reviewed"),
    "anomaly.assign": _l("Anomaly assigned for review"),
    "api_token.create": _l("API token created"),
    "api_token.revoke": _l("API token revoked"),
    "certificate.issue": _l("Certificate issued"),
    "certificate.reinstate": _l("Certificate reinstated"),
    "certificate.renew": _l("Certificate renewed"),
    "certificate.revoke": _l("Certificate revoked"),
    "certificate.supersede": _l("Certificate superseded"),
    "certificate.suspend": _l("Certificate suspended"),
    "certificate_category.create": _l("Certificate category created"),
    "certificate_category.sync": _l("Certificate categories updated"),
    "company.create": _l("Company registered"),
    "cylinder.destroy": _l("Cylinder destroyed"),
    "cylinder.lost": _l("Cylinder reported lost or stolen"),
    "cylinder.found": _l("Cylinder reported found"),
    "cylinder.seize": _l("Cylinder seized"),
    "cylinder.suspect": _l("Cylinder marked suspect"),
    "cylinder.register": _l("Cylinder registered"),
    "cylinder.transfer": _l("Cylinder custody moved"),
    "cylinder_rules.update": _l("Cylinder rules changed"),
    "country_settings.update": _l("Country settings changed"),
    "company.update": _l("Company changed"),
    "company.update_contact": _l("Company contact details changed"),
    "employment.create": _l("Employment recorded"),
    "employment.end": _l("Employment ended"),
    "equipment.create": _l("Equipment registered"),
    "equipment.intervention": _l("Work on equipment recorded"),
    "federation.refused": _l("Document, question or answer of a peer installation refused"),
    "federation_key.create": _l("Federation key created"),
    "federation_peer.add": _l("Peer installation added"),
    "federation_peer.remove": _l("Peer installation removed"),
    "federation_peer.resume": _l("Peer installation resumed"),
    "federation_peer.suspend": _l("Peer installation suspended"),
    "issuing_authority.create": _l("Issuing authority created"),
    "focalpoint.add": _l("Focal point added"),
    "focalpoint.change": _l("Focal point changed"),
    "focalpoint.remove": _l("Focal point removed"),
    "inspection.case": _l("Seizure case step recorded"),
    "seizure_alert.queue": _l("Seizure alert to a peer installation queued"),
    "seizure_alert.receive": _l("Seizure alert received from a peer installation"),
    "seizure_alert.send": _l("Seizure alert received by the peer installation"),
    "inspection.custody": _l("Seized goods handed over"),
    "inspection.cylinder": _l("Cylinder checked at an inspection"),
    "inspection.decide": _l("Inspection decision recorded"),
    "inspection.photo": _l("Inspection photo added"),
    "inspection.start": _l("Inspection recorded"),
    "licence.issue": _l("Licence issued"),
    "licence.status": _l("Licence status changed"),
    "licence.update": _l("Licence terms changed"),
    "ipic.answer": _l("iPIC question answered"),
    "ipic.ask": _l("iPIC question asked"),
    "shipment.decide": _l("Customs decision on a shipment"),
    "shipment.expect": _l("Shipment announced"),
    "shipment.receipt": _l("Importer answered a released shipment"),
    "logbook.import": _l("Paper logbook imported"),
    "quota.allocate": _l("Quota allocated"),
    "quota.baseline": _l("Consumption baseline set"),
    "quota.transfer": _l("Quota moved between importers"),
    "logbook_checkpoint.sign": _l("Logbook checkpoint signed"),
    "logbook_settings.update": _l("Logbook settings changed"),
    "signing_key.create": _l("Signing key created"),
    "signing_key.retire": _l("Signing key retired"),
    "substance.load": _l("Substance catalogue loaded"),
    "substance.update": _l("Substance changed"),
    "technician.create": _l("Technician registered"),
    "technician.update": _l("Technician changed"),
    "technician.update_contact": _l("Technician contact details changed"),
    "training.create": _l("Training recorded"),
    "transfer.confirm": _l("Transfer confirmed"),
    "transfer.dispute": _l("Transfer disputed"),
    "personal_data.export": _l("Personal data exported"),
    "user.create": _l("Account created"),
    "user.passkey_add": _l("Passkey added"),
    "user.passkey_remove": _l("Passkey removed"),
    "user.password_reset": _l("Password reset by e-mail"),
    "user.recovery_codes": _l("Recovery codes renewed"),
    "user.set_password": _l("Password set"),
    "user.totp_enrol": _l("Two-step sign-in set up"),
    "user.totp_reset": _l("Two-step sign-in removed"),
    "user.update": _l("Account changed"),
}


def action_label(action: str) -> str:
    """The action in words; logbook entries by their kind ("Logbook: Sale"); unknown codes as they are."""
    if action.startswith(LOGBOOK_ACTION_PREFIX):
        try:
            kind = EntryKind(action.removeprefix(LOGBOOK_ACTION_PREFIX))
        except ValueError:
            return action
        return str(_l("Logbook: %(kind)s", kind=ENTRY_KIND_LABELS[kind]))
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
