"""Pages: the administrator's peers (add, suspend, resume, remove, sync now), questions to peers;
and the public well-known endpoints other installations call."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from certreg.errors import CertregError, RateLimited
from certreg.extensions import csrf, db
from certreg.federation import alerts, directories, identity, peers, publishing, questions, syncing, wire
from certreg.federation.forms import QUESTION_LABELS, AskPageForm, EmptyForm, PeerForm
from certreg.federation.models import OutboxState
from certreg.federation.services import ask_body, json_error
from certreg.forms import choices
from certreg.inspections import alerts as seizure_alerts
from certreg.inspections.models import SeizureAlert
from certreg.licences.models import DIRECTION_LABELS
from certreg.logbook import holders
from certreg.logbook.models import Logbook
from certreg.transactions import writes
from certreg.web import actor, form_status, submit

bp = Blueprint("federation", __name__)
#: A question is a few hundred bytes; anything much larger is refused unread.
MAX_QUESTION_BYTES = 64 * 1024
wellknown = Blueprint("federation_wellknown", __name__)
csrf.exempt(wellknown)


# --- what other installations call ----------------------------------------------------------


@wellknown.get("/.well-known/certreg/<path:kind>")
@writes
def document(kind: str):
    """A signed document (``application/cose``), or ``304`` when ``If-None-Match`` names it."""
    if publishing.kind(kind) is None:
        abort(404)
    try:
        publication = publishing.current(kind)
    except CertregError as exc:  # e.g. no federation key yet
        db.session.rollback()
        return json_error(exc)
    db.session.commit()
    etag = publishing.etag(publication)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        return Response(status=304, headers=headers)
    return Response(publication.signed, mimetype="application/cose", headers=headers)


@wellknown.get("/.well-known/certreg/federation-key")
def federation_key():
    """This installation's federation key and fingerprint (for convenience: peers pin the fingerprint
    they received out of band, never what this says)."""
    row = identity.current_row()
    if row is None:
        abort(404)
    return {"fingerprint": row.fingerprint, "jwk": row.public_jwk, "base_url": identity.own_base_url()}


@wellknown.post("/.well-known/certreg/ask")
def ask_endpoint():
    """A peer's signed question; the answer is signed (``application/certreg-message+cwt``)."""
    if (request.content_length or 0) > MAX_QUESTION_BYTES:
        return json_error(questions.MalformedQuestion(_("Question refused (%(code)s).", code="too-large"),
                                                      code="too-large"))
    raw = request.get_data(cache=False)
    try:
        signed = questions.answer(raw)
    except RateLimited as exc:
        db.session.rollback()
        return json_error(exc, {"Retry-After": str(exc.retry_after or 60)})
    except questions.FederationRefusal as exc:
        db.session.commit()  # the record of the refused question (nothing else was written)
        return json_error(exc)
    except CertregError as exc:
        db.session.rollback()
        return json_error(exc)
    db.session.commit()
    return Response(signed, mimetype=wire.MESSAGE_TYP)


# --- the administrator's pages --------------------------------------------------------------


@bp.route("/federation/peers", methods=["GET", "POST"])
@login_required
def peer_list():
    """The peers, their last sync and errors, this installation's fingerprint; the form to add one."""
    me = actor()
    me.require(peers.can_manage(me))
    form = PeerForm()
    done = submit(form, lambda: peers.add_peer(me, name=form.name.data or "", base_url=form.base_url.data,
                                               fingerprint=form.fingerprint.data))
    if done:
        flash(_("Peer added. It must add this installation too before questions are answered."), "success")
        return redirect(url_for("federation.peer_list"))
    rows = [(peer, syncing.age(peer)) for peer in peers.list_peers(me)]
    return render_template("federation/peers.html", form=form, rows=rows, button=EmptyForm(),
                           fingerprint=identity.fingerprint(), grouped=wire.grouped, base_url=identity.own_base_url(),
                           messages=questions.messages(me, limit=20), labels=QUESTION_LABELS,
                           refusals=questions.refusals(me), outbox=alerts.outbox(me, limit=20),
                           names={p.id: p.name for p, _age in rows}), form_status(form)


def _peer_action(peer_id: int, action, message: str):
    me = actor()
    me.require(peers.can_manage(me))
    form = EmptyForm()
    if submit(form, lambda: action(me, peer_id)):
        flash(message, "success")
    else:
        for error in form.form_errors:
            flash(error, "error")
    return redirect(url_for("federation.peer_list"))


@bp.post("/federation/peers/<int:peer_id>/suspend")
@login_required
def suspend(peer_id: int):
    return _peer_action(peer_id, peers.suspend_peer, _("Peer suspended."))


@bp.post("/federation/peers/<int:peer_id>/resume")
@login_required
def resume(peer_id: int):
    return _peer_action(peer_id, peers.resume_peer, _("Peer resumed."))


@bp.post("/federation/peers/<int:peer_id>/remove")
@login_required
def remove(peer_id: int):
    return _peer_action(peer_id, peers.remove_peer, _("Peer removed."))


@bp.post("/federation/peers/<int:peer_id>/sync")
@login_required
def sync(peer_id: int):
    def run(me, pid):
        result, sent = alerts.sync_and_send(me, peers.get_peer(pid))
        if not result.ok:
            flash(_("Sync with %(peer)s: %(result)s", peer=result.peer,
                    result=", ".join(f"{k}: {v}" for k, v in result.results.items())), "error")
        if sent:
            flash(_("Seizure alerts sent: %(sent)d of %(pending)d.",
                    sent=sum(1 for row in sent if row.state is OutboxState.SENT), pending=len(sent)), "info")
        return result

    return _peer_action(peer_id, run, _("Sync done."))


@bp.route("/federation/ask", methods=["GET", "POST"])
@login_required
def ask():
    """Officials ask a peer installation: a certificate's status, a cylinder by serial."""
    me = actor()
    me.require(peers.can_ask(me))
    form = AskPageForm()
    form.peer_id.choices = choices((p.id, p.name) for p in peers.list_peers(me))
    done = submit(form, lambda: questions.ask(me, form.peer_id.data, form.kind.data,
                                              ask_body(form.kind.data, form.query.data)))
    return render_template("federation/ask.html", form=form, asked=done.result if done else None,
                           labels=QUESTION_LABELS), form_status(form)


@bp.get("/federation/licensees")
@login_required
def licensees():
    """The partner installations' licensed importers and exporters (as last synced), for iPIC and the border."""
    lists = directories.licensee_lists(actor())
    return render_template("federation/licensees.html", lists=lists, directions=DIRECTION_LABELS)


def _held_by(me, found: list[SeizureAlert]) -> dict[int, tuple[str, str | None]]:
    """Logbook id -> (the holder's name, its logbook's page when ``me`` may open it)."""
    result = {}
    for logbook_id in {a.logbook_id for a in found if a.logbook_id is not None}:
        logbook = db.session.get(Logbook, logbook_id)
        if logbook is None:
            continue
        who = holders.holder_of(logbook)
        link = (url_for("logbook.holder_logbook", holder_kind=who.kind.value, holder_id=who.id)
                if holders.can_read(me, who) else None)
        result[logbook_id] = (who.name, link)
    return result


@bp.get("/federation/alerts")
@login_required
def alerts_received():
    """Seizure alerts partner installations sent about the official's country, newest first."""
    me = actor()
    found = seizure_alerts.received(me, me.country_code)
    return render_template("federation/alerts.html", found=found, country=me.country_code,
                           held_by=_held_by(me, found))
