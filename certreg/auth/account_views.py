"""The user's own security pages: two-step sign-in, sessions and history, notices; the country's rules."""

from __future__ import annotations

import base64

import qrcode
from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from certreg.auth import services, sessions, twofactor
from certreg.auth.blueprint import bp
from certreg.auth.forms import AccountPolicyForm, EmptyForm, EnrolForm, NoticesForm
from certreg.certificates.qr import render_png
from certreg.notify import outbox
from certreg.web import actor, form_status, submit

SETUP_SECRET = "totp_setup"  # noqa: S105 (a session key name)


def _qr_data_uri(uri: str) -> str:
    qr = qrcode.QRCode(version=None, error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(uri)
    qr.make(fit=True)
    return "data:image/png;base64," + base64.b64encode(render_png(qr, box_size=6)).decode()


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor():
    """Set up TOTP (scan the QR code, confirm with a code; recovery codes are shown once), or see its state."""
    user = actor().user
    if user.has_second_factor:
        return render_template("auth/two_factor.html", enrolled=True, form=EmptyForm(),
                               remaining=twofactor.remaining_recovery_codes(user),
                               required=twofactor.required_for(user))
    # The secret waits in the signed session cookie until a code proves the app has it.
    secret = session.get(SETUP_SECRET) or twofactor.new_secret()
    session[SETUP_SECRET] = secret
    form = EnrolForm()
    done = submit(form, lambda: twofactor.confirm_enrolment(actor(), user, secret, form.code.data))
    if done:
        session.pop(SETUP_SECRET, None)
        return render_template("auth/recovery_codes.html", codes=done.result, first=True)
    uri = twofactor.provisioning_uri(user, secret)
    return render_template("auth/two_factor.html", enrolled=False, form=form, secret=secret,
                           secret_groups=[secret[i:i + 4] for i in range(0, len(secret), 4)],
                           qr=_qr_data_uri(uri), uri=uri), form_status(form)


@bp.post("/account/two-factor/recovery-codes")
@login_required
def recovery_codes():
    done = submit(EmptyForm(), lambda: twofactor.regenerate_recovery_codes(actor(), actor().user))
    if not done:
        return redirect(url_for("auth.two_factor"))
    return render_template("auth/recovery_codes.html", codes=done.result, first=False)


@bp.post("/account/two-factor/remove")
@login_required
def remove_two_factor():
    """Turn two-step sign-in off (only for those who need not use it); every session ends."""
    if submit(EmptyForm(), lambda: twofactor.reset(actor(), actor().user)):
        flash(_("Two-step sign-in is off. Sign in again."), "info")
        return redirect(url_for("auth.login"))
    return redirect(url_for("auth.two_factor"))


@bp.post("/admin/users/<int:user_id>/two-factor/reset")
@login_required
def reset_user_two_factor(user_id: int):
    """An administrator removes a user's second factor (a lost phone): they set it up again at sign-in."""
    user = services.get_user(actor(), user_id)
    if submit(EmptyForm(), lambda: twofactor.reset(actor(), user)):
        flash(_("Two-step sign-in removed for %(email)s.", email=user.email), "success")
    return redirect(url_for("auth.edit_user", user_id=user.id))


@bp.get("/account/sessions")
@login_required
def account_sessions():
    user = actor().user
    return render_template("auth/sessions.html", sessions=sessions.active_sessions(actor(), user),
                           history=sessions.sign_in_history(actor(), user), form=EmptyForm(),
                           current_id=current_user.session_row.id if current_user.session_row else None)


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    """End one of your sessions; its cookie is refused from then on."""
    if submit(EmptyForm(), lambda: sessions.end_session(actor(), session_id)):
        flash(_("The session was ended."), "success")
    return redirect(url_for("auth.account_sessions"))


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def notifications():
    user = actor().user
    form = NoticesForm()
    if submit(form, lambda: outbox.set_preferences(actor(), user, set(form.kinds.data or []))):
        flash(_("Your choice of e-mails was saved."), "success")
        return redirect(url_for("auth.notifications"))
    if not form.is_submitted():
        form.kinds.data = [k.value for k in NoticesForm.KINDS if k not in outbox.switched_off(user)]
    return render_template("auth/notifications.html", form=form), form_status(form)


@bp.route("/admin/account-policy", methods=["GET", "POST"])
@login_required
def account_policy():
    """The country's account rules (administrators): two-step sign-in for everyone or officials only."""
    policy = twofactor.country_policy(actor(), current_user.country_code)
    form = AccountPolicyForm(obj=policy)
    if submit(form, lambda: twofactor.set_country_policy(
            actor(), current_user.country_code, second_factor_for_everyone=form.second_factor_for_everyone.data)):
        flash(_("Account rules saved."), "success")
        return redirect(url_for("auth.account_policy"))
    return render_template("auth/account_policy.html", form=form), form_status(form)
