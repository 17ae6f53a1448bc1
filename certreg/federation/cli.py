"""``flask federation ...``: the federation key, peers, sync (run ``sync`` from cron or a systemd timer: it
also sends the seizure alerts still pending), seizure alerts."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from certreg.actors import Actor
from certreg.commands import fail
from certreg.errors import CertregError
from certreg.extensions import db
from certreg.federation import alerts, identity, peers, questions, syncing, wire
from certreg.federation.services import ask_body
from certreg.inspections import alerts as seizure_alerts

federation_cli = AppGroup("federation", help="Peer installations: keys, peering, sync, questions.")
peer_cli = AppGroup("peer", help="Add, list, suspend, resume and remove peer installations.")
federation_cli.add_command(peer_cli)


@federation_cli.command("key")
def key() -> None:
    """Print this installation's federation key fingerprint (created the first time)."""
    try:
        row = identity.ensure_key(Actor.system())
    except CertregError as exc:
        fail(exc)
    db.session.commit()
    click.echo(f"address\t{identity.own_base_url()}")
    click.echo(f"fingerprint\t{wire.grouped(row.fingerprint)}")


@peer_cli.command("add")
@click.option("--url", "base_url", required=True, help="The peer's base address, e.g. https://certreg.example.kz")
@click.option("--fingerprint", required=True, help="Its federation key fingerprint (64 hex digits)")
@click.option("--name", default="", help="What users see")
def add(base_url: str, fingerprint: str, name: str) -> None:
    """Trust a peer installation (it must add this one too)."""
    try:
        peer = peers.add_peer(Actor.system(), name=name, base_url=base_url, fingerprint=fingerprint)
    except CertregError as exc:
        fail(exc)
    db.session.commit()
    click.echo(f"{peer.id}\t{peer.name}\t{peer.base_url}\t{peer.status.value}")


@peer_cli.command("list")
def list_peers() -> None:
    """id, name, address, status, last answer, problem."""
    for peer in peers.list_peers(Actor.system()):
        last = f"{peer.last_success_at:%Y-%m-%d %H:%M}Z" if peer.last_success_at else "never"
        click.echo(f"{peer.id}\t{peer.name}\t{peer.base_url}\t{peer.status.value}\t{last}\t{peer.last_error or ''}")


def _change(action, peer_ref: str) -> None:
    try:
        peer = action(Actor.system(), peers.find_peer(peer_ref).id)
    except CertregError as exc:
        fail(exc)
    db.session.commit()
    click.echo(f"{peer.id}\t{peer.name}\t{peer.status.value}")


@peer_cli.command("suspend")
@click.argument("peer_ref")
def suspend(peer_ref: str) -> None:
    """Stop syncing with and answering PEER_REF (id, name or address)."""
    _change(peers.suspend_peer, peer_ref)


@peer_cli.command("resume")
@click.argument("peer_ref")
def resume(peer_ref: str) -> None:
    _change(peers.resume_peer, peer_ref)


@peer_cli.command("remove")
@click.argument("peer_ref")
def remove(peer_ref: str) -> None:
    _change(peers.remove_peer, peer_ref)


@federation_cli.command("sync")
@click.option("--peer", "peer_ref", default=None, help="Only this peer (id, name or address)")
def sync(peer_ref: str | None) -> None:
    """Pull every active peer's documents (conditional GETs), then send the seizure alerts still pending.
    Exit status 1 if any peer had a problem or an alert is still pending."""
    try:
        peer = peers.find_peer(peer_ref) if peer_ref else None
        results = syncing.sync_all(Actor.system(), peer)
        db.session.commit()
        sent = alerts.send_pending(Actor.system())
    except CertregError as exc:
        fail(exc)
    db.session.commit()
    for result in results:
        click.echo(f"{result.peer}\t" + "\t".join(f"{k}={v}" for k, v in result.results.items()))
    _echo_sent(sent)
    if not all(r.ok for r in results) or any(row.state.value == "pending" for row in sent):
        raise SystemExit(1)


def _echo_sent(sent) -> None:
    for row in sent:
        click.echo(f"alert {row.reference}\t{row.state.value}\t{row.last_error or ''}")


@federation_cli.command("send-alerts")
def send_alerts() -> None:
    """Send the seizure alerts still pending (a peer was down). Exit status 1 if any is still pending."""
    try:
        sent = alerts.send_pending(Actor.system())
    except CertregError as exc:
        fail(exc)
    db.session.commit()
    _echo_sent(sent)
    if any(row.state.value == "pending" for row in sent):
        raise SystemExit(1)


@federation_cli.command("alerts")
@click.option("--country", default=None, help="Only alerts about this country (ISO code)")
@click.option("--sent", is_flag=True, help="The alerts this installation sent, with their state")
def list_alerts(country: str | None, sent: bool) -> None:
    """Seizure alerts received from peers: id, received, from, reference, seized on, where, kg, serials, holder's
    logbook. With --sent: the alerts sent (reference, peer id, state, attempts, problem)."""
    if sent:
        for row in alerts.outbox(Actor.system()):
            click.echo(f"{row.reference}\t{row.peer_id}\t{row.state.value}\t{row.attempts}\t{row.last_error or ''}")
        return
    for alert in seizure_alerts.received(Actor.system(), country.upper() if country else None):
        click.echo(f"{alert.id}\t{alert.received_at:%Y-%m-%d %H:%M}Z\t{alert.sender_name}\t{alert.reference}\t"
                   f"{alert.seizing_country}\t{alert.seized_on}\t{alert.place}\t{alert.kg} kg\t"
                   f"{', '.join(alert.serials)}\t{alert.logbook_id or ''}")


@federation_cli.command("ask")
@click.argument("peer_ref")
@click.argument("kind")
@click.argument("query", required=False, default="")
def ask(peer_ref: str, kind: str, query: str) -> None:
    """Ask PEER_REF a question: KIND is certificate-status, cylinder or ping."""
    try:
        asked = questions.ask(Actor.system(), peers.find_peer(peer_ref).id, kind, ask_body(kind, query))
    except CertregError as exc:
        fail(exc)
    db.session.commit()
    click.echo(asked.answer if asked.answered else f"error: {asked.message}")
    if not asked.answered:
        raise SystemExit(1)
