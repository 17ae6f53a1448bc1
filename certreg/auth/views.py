"""Sign-in, sign-out, home pages, the user's account and API tokens, user management."""

from __future__ import annotations

import time

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from certreg.auth import services, signin
from certreg.auth.blueprint import bp
from certreg.auth.forms import EmptyForm, LoginForm, NewUserForm, PasswordForm, TokenForm, UserForm
from certreg.auth.home import home_context
from certreg.auth.passwords import min_length
from certreg.errors import CertregError
from certreg.extensions import db
from certreg.security import is_safe_next
from certreg.vocabulary import ROLE_LABELS
from certreg.web import actor, form_status, submit


@bp.get("/")
def home():
    """The landing page: public search for visitors, the role's daily work for users."""
    if not current_user.is_authenticated:
        return render_template("auth/home_public.html")

    return render_template(f"auth/home_{current_user.role.value}.html", **home_context(actor()))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Step one: e-mail and password. With a second factor, step two asks for a code (``auth.login_code``)."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    form = LoginForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        attempt = services.count_sign_in_attempt(form.email.data)
        db.session.commit()  # the attempt counts even though a wrong password fails the request
        try:
            user = services.authenticate(attempt, form.password.data)
        except CertregError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
            status = exc.status
            if getattr(exc, "retry_after", None):
                headers["Retry-After"] = str(exc.retry_after)
        else:
            target = request.args.get("next")
            target = target if is_safe_next(target) else None
            if user.has_second_factor:
                db.session.commit()
                session.clear()
                session[signin.PENDING] = {"user": user.id, "at": int(time.time()), "next": target}
                return redirect(url_for("auth.login_code"))
            return signin.complete(user, second_factor=None, target=target)
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form), status, headers


@bp.post("/logout")
def logout():
    """Revoke the server-side session, so a copy of the old cookie no longer works."""
    if EmptyForm().validate_on_submit() and current_user.is_authenticated:
        services.end_session(current_user.get_id())
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = PasswordForm()
    done = submit(form, lambda: services.set_password(
        actor(), actor().user, form.password.data, current_password=form.current_password.data))
    if done:
        logout_user()
        session.clear()
        flash(_("Password changed. Sign in with the new password."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/account.html", form=form, role_label=ROLE_LABELS[current_user.role],
                           min_length=min_length(official=current_user.is_official)), form_status(form)


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = TokenForm()
    done = submit(form, lambda: services.create_api_token(actor(), actor().user, form.name.data,
                                                          read_only=form.read_only.data))
    new_token = None
    if done:
        new_token = done.result[1]
        form = TokenForm(formdata=None)
    return render_template(
        "auth/tokens.html", form=form, new_token=new_token,
        tokens=services.list_api_tokens(actor(), actor().user), revoke_form=EmptyForm(),
    ), form_status(form)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    if submit(EmptyForm(), lambda: services.revoke_api_token(actor(), token_id)):
        flash(_("The token was revoked."), "success")
    return redirect(url_for("auth.tokens"))


# --- user management (administrators of the country) -----------------------------------


def _user_data(form: UserForm) -> services.UserData:
    return services.UserData(
        email=form.email.data,
        display_name=form.display_name.data,
        role=form.role.data,
        country_code=form.country_code.data,
        company_id=form.company_id.data,
        technician_id=form.technician_id.data,
        is_active=form.is_active.data,
    )


@bp.get("/admin/users")
@login_required
def users():
    return render_template(
        "auth/users.html", users=services.list_users(actor(), current_user.country_code), role_labels=ROLE_LABELS
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@login_required
def new_user():
    actor().require(services.can_manage_users(actor(), current_user.country_code))
    form = NewUserForm(country_code=current_user.country_code)
    done = submit(form, lambda: services.create_user(actor(), _user_data(form), form.password.data))
    if done:
        flash(_("Account %(email)s created.", email=done.result.email), "success")
        return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None), form_status(form)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def edit_user(user_id: int):
    user = services.get_user(actor(), user_id)
    form = UserForm(obj=user, role=user.role.value)
    if submit(form, lambda: services.update_user(actor(), user, _user_data(form))):
        flash(_("Account saved."), "success")
        return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user), form_status(form)

