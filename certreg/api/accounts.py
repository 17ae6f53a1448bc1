"""``/api/v1/me/sessions``: the token user's browser sessions and sign-in history; ``/end`` one."""

from __future__ import annotations

from typing import Any

from certreg.api import bp
from certreg.api.common import api_actor, done
from certreg.auth import sessions
from certreg.auth.models import SignInEvent, UserSession


def session_json(s: UserSession) -> dict[str, Any]:
    return {"id": s.id, "created_at": s.created_at.isoformat(), "expires_at": s.expires_at.isoformat(),
            "last_seen_at": s.last_seen_at.isoformat() if s.last_seen_at else None,
            "ended_at": s.revoked_at.isoformat() if s.revoked_at else None,
            "ip_address": s.ip_address, "user_agent": s.user_agent}


def sign_in_json(e: SignInEvent) -> dict[str, Any]:
    return {"at": e.at.isoformat(), "ip_address": e.ip_address, "user_agent": e.user_agent,
            "second_factor": e.second_factor}


@bp.get("/me/sessions")
def my_sessions():
    """The token user's active browser sessions and recent sign-ins."""
    actor = api_actor()
    return done({"sessions": [session_json(s) for s in sessions.active_sessions(actor, actor.user)],
                 "sign_ins": [sign_in_json(e) for e in sessions.sign_in_history(actor, actor.user)]})


@bp.post("/me/sessions/<int:session_id>/end")
def end_my_session(session_id: int):
    """End one of the token user's browser sessions: its cookie is refused from then on."""
    actor = api_actor()
    return done(session_json(sessions.end_session(actor, session_id)))
