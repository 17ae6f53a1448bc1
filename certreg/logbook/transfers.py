"""Counterparts: sales and exports to a registered holder wait in their inbox until confirmed
(a purchase or import enters their logbook) or disputed."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.db import utcnow
from certreg.errors import InvalidState, NotFound, ValidationFailed
from certreg.extensions import db
from certreg.logbook import ledger
from certreg.logbook import quotas as logbook_quotas
from certreg.logbook.drafts import EntryData, blank
from certreg.logbook.holders import Holder, can_read, can_write, holder_of, logbook_for, require_read
from certreg.logbook.models import Channel, Entry, EntryKind, Transfer, TransferKind, TransferStatus
from certreg.logbook.recording import append_entry, check_entry, prepare_entry
from certreg.logbook.refusals import RefusalNote
from certreg.logbook.settings import rule_context

logger = logging.getLogger(__name__)


# --- counterparts ------------------------------------------------------------------------


def get_transfer(actor: Actor, transfer_id: int) -> Transfer:
    transfer = db.session.get(Transfer, transfer_id)
    if transfer is None:
        raise NotFound()
    sender, receiver = holder_of(transfer.from_logbook), holder_of(transfer.to_logbook)
    if not (can_read(actor, sender) or can_read(actor, receiver)):
        raise NotFound()
    return transfer


def transfers(actor: Actor, who: Holder, *, incoming: bool = True,
              statuses: tuple[TransferStatus, ...] = (TransferStatus.PENDING, TransferStatus.DISPUTED),
              ) -> list[Transfer]:
    """Sales and exports to ``who`` (incoming) or from ``who`` (outgoing) in the given states."""
    require_read(actor, who)
    logbook = logbook_for(who)
    if logbook is None:
        return []
    column = Transfer.to_logbook_id if incoming else Transfer.from_logbook_id
    query = sa.select(Transfer).where(column == logbook.id)
    if statuses:
        query = query.where(Transfer.status.in_(statuses))
    return list(db.session.scalars(query.order_by(Transfer.id.desc())))


def pending_count(who: Holder) -> int:
    logbook = logbook_for(who)
    if logbook is None:
        return 0
    return db.session.scalar(sa.select(sa.func.count()).select_from(Transfer).where(
        Transfer.to_logbook_id == logbook.id, Transfer.status == TransferStatus.PENDING))


def _respondable(actor: Actor, transfer: Transfer) -> Holder:
    receiver = holder_of(transfer.to_logbook)
    actor.require(can_write(actor, receiver))  # get_transfer checked that the actor may see it
    if transfer.status not in (TransferStatus.PENDING, TransferStatus.DISPUTED):
        raise InvalidState(_("This has already been answered or was cancelled."), code="transfer_closed")
    return receiver


def confirm_transfer(actor: Actor, transfer_id: int, *, import_licence: str | None = None,
                     customs_declaration: str | None = None, channel: Channel = Channel.WEB) -> Entry:
    """The receiver confirms: a purchase (or, for an export, an import) enters their logbook and stock.

    An import needs the receiver's own import licence and customs declaration (proof of origin).
    """
    transfer = get_transfer(actor, transfer_id)
    receiver = _respondable(actor, transfer)
    origin = transfer.origin_entry
    sender = holder_of(transfer.from_logbook)
    data = EntryData(
        kind=(EntryKind.PURCHASE if transfer.kind is TransferKind.SALE else EntryKind.IMPORT).value,
        operation_date=origin.operation_date, substance=origin.substance_code, quantity=origin.quantity,
        condition=origin.condition.value, cylinders=origin.cylinders,
        counterparty_name=sender.name, counterparty_country=sender.country_code,
        document_numbers=origin.document_numbers,
        exempted_use=origin.exempted_use.value if origin.exempted_use else None,
        exemption_reference=origin.exemption_reference,
    )
    if transfer.kind is TransferKind.EXPORT:
        data.import_licence, data.customs_declaration = import_licence, customs_declaration
        data.origin_country, data.exporter_name = sender.country_code, sender.name
    note = RefusalNote(actor, receiver, channel, {**data.jsonable(), "transfer": transfer.id})
    try:
        ctx = rule_context(receiver.country_code)
        prepared = prepare_entry(receiver, data, ctx, note, counterpart=True)
        logbook = logbook_for(receiver, create=True)
        head = ledger.lock_head(receiver.country_code)
        stock = ledger.Stock(logbook.id)
        check_entry(prepared, ctx, stock.get)
    except ValidationFailed as exc:
        note.attach(exc)
        raise
    now = utcnow()
    values = prepared.values(logbook, actor, channel, now, counterparty_logbook_id=transfer.from_logbook_id,
                             counterpart_of_id=origin.id)
    stored = append_entry(head, stock, prepared.moves, values, prepared.draft.cylinders, now, actor=actor,
                          plans=prepared.plans)
    logbook_quotas.write_uses(prepared.quota_uses, stored["id"], receiver.country_code, now, actor)
    before = transfer.status.value
    transfer.status = TransferStatus.CONFIRMED
    transfer.counterpart_entry_id = stored["id"]
    _responded(actor, transfer, now)
    audit.record(actor, "transfer.confirm", transfer, country_code=receiver.country_code,
                 summary=audit.msg("Confirmed %(kind)s %(origin_id)s as entry %(entry_id)s",
                                   kind=transfer.kind.value, origin_id=origin.id, entry_id=stored["id"]),
                 before={"status": before}, after={"status": "confirmed", "entry": stored["id"]})
    return ledger.as_entry(stored)


def dispute_transfer(actor: Actor, transfer_id: int, reason: str) -> Transfer:
    """The receiver says this sale or export did not happen as recorded; nothing enters their stock."""
    transfer = get_transfer(actor, transfer_id)
    receiver = _respondable(actor, transfer)
    reason = blank(reason)
    if not reason:
        raise ValidationFailed.for_field("reason", _("Say what is wrong with it."), "reason_required")
    if transfer.status is TransferStatus.DISPUTED:
        raise InvalidState(_("This is already disputed."), code="transfer_closed")
    transfer.status = TransferStatus.DISPUTED
    transfer.response_note = reason
    _responded(actor, transfer, utcnow())
    audit.record(actor, "transfer.dispute", transfer, country_code=receiver.country_code,
                 summary=audit.msg("Disputed %(kind)s %(origin_id)s",
                                   kind=transfer.kind.value, origin_id=transfer.origin_entry_id),
                 before={"status": "pending"}, after={"status": "disputed"}, reason=reason)
    return transfer


def _responded(actor: Actor, transfer: Transfer, now: datetime) -> None:
    transfer.responded_at = now
    transfer.responded_by_user_id = actor.user_id
    transfer.responded_by_label = actor.label
    db.session.flush()


