"""Pages around signing in: the second step (code), forgotten password and reset by e-mail."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from certreg.auth import reset, services, signin, twofactor
from certreg.auth.blueprint import bp
from certreg.auth.forms import CodeForm, ForgotPasswordForm, ResetPasswordForm
from certreg.auth.passwords import MIN_LENGTH, MIN_LENGTH_OFFICIAL
from certreg.errors import CertregError, NotFound
from certreg.extensions import db
from certreg.notify import outbox
from certreg.web import form_status, submit


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """Step two of sign-in: a TOTP code or a recovery code (attempts throttled like passwords)."""
    user, target = signin.pending_user()
    if user is None:
        session.pop(signin.PENDING, None)
        flash(_("Sign in with your e-mail and password first."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        attempt = services.count_sign_in_attempt(twofactor.throttle_key(user))
        db.session.commit()
        try:
            services.refuse_if_throttled(attempt)
            method = twofactor.verify(user, form.code.data)
        except CertregError as exc:
            db.session.rollback()
            form.code.errors = [exc.message]
            status = exc.status
            if getattr(exc, "retry_after", None):
                headers["Retry-After"] = str(exc.retry_after)
        else:
            message = None
            if method == "recovery_code":
                message = _("You used a recovery code. %(n)s are left.", n=twofactor.remaining_recovery_codes(user))
            return signin.complete(user, second_factor=method, target=target, message=message)
    elif request.method == "POST":
        status = 422
    return render_template("auth/login_code.html", form=form, passkeys=bool(user.passkeys)), status, headers


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link. The answer is the same whether or not the address has an account."""
    form = ForgotPasswordForm()
    done = submit(form, lambda: reset.request_reset(form.email.data))
    if done:
        outbox.send_soon([done.result])
        return render_template("auth/forgot_password_sent.html")
    return render_template("auth/forgot_password.html", form=form), form_status(form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password with the link from the e-mail (once, before it expires)."""
    try:
        user = reset.check_token(token)
    except NotFound as exc:
        return render_template("auth/reset_invalid.html", message=exc.message), 404
    form = ResetPasswordForm()
    if submit(form, lambda: reset.reset_password(token, form.password.data)):
        session.clear()
        flash(_("Your password was changed and every session ended. Sign in with the new password."), "success")
        return redirect(url_for("auth.login"))
    length = MIN_LENGTH_OFFICIAL if user.is_official else MIN_LENGTH
    return render_template("auth/reset_password.html", form=form, min_length=length), form_status(form)
