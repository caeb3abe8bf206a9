"""Sign in, sign out, and the role-based home page."""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from tracker.auth import bp
from tracker.auth.access import ANY_ROLE, role_required, safe_next_path, start_session
from tracker.auth.forms import ChoosePasswordForm, LoginForm, PasswordChangeForm
from tracker.extensions import limiter
from tracker.forms import add_error, required
from tracker.services import DomainError, invitations, transaction, users

BAD_CREDENTIALS = "That email and password do not match an active account."


def home_for(user) -> str:
    """Where a signed-in user starts: staff on the dashboard, clients in their portal,
    engineers in their own area."""
    if user.is_client:
        return url_for("portal.index")
    if user.is_engineer:
        return url_for("me.index")
    return url_for("dashboard.index")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.get("/")
def index():
    return redirect(home_for(current_user))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=lambda r: r.status_code != 302)
def login():
    next_path = safe_next_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_path or home_for(current_user))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if form.errors else 200
    user = users.authenticate(required(form.email.data), required(form.password.data))
    if user is None:
        with transaction():
            users.record_failed_sign_in(required(form.email.data))
        current_app.logger.warning(
            "Failed sign-in for %r from %s", form.email.data, request.remote_addr
        )
        flash(BAD_CREDENTIALS, "danger")
        return render_template("auth/login.html", form=form), 401
    session.clear()  # nothing set before sign-in survives it (session fixation)
    login_user(user)
    session.permanent = True
    start_session()
    with transaction():
        users.record_sign_in(user, request.remote_addr)
    flash(f"Welcome back, {user.name}.", "success")
    return redirect(next_path or home_for(user))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=lambda r: r.status_code != 302)
def invitation(token: str):
    """An invited portal user chooses their password from the e-mailed link, and is in."""
    try:
        user = invitations.user_for(token)
    except invitations.InvitationError as e:
        return render_template("auth/invitation.html", problem=str(e), form=None), 410
    form = ChoosePasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/invitation.html", form=form, user=user), (
            400 if form.errors else 200
        )
    try:
        with transaction():
            waiting = invitations.accept(user, required(form.password.data))
    except DomainError as e:
        add_error(form.password, str(e))
        return render_template("auth/invitation.html", form=form, user=user), 400
    session.clear()  # whoever was signed in in this browser, it is the invited user now
    login_user(user)
    session.permanent = True
    start_session()
    with transaction():
        users.record_sign_in(user, request.remote_addr)
    waits = f" {waiting} proposals wait" if waiting != 1 else " 1 proposal waits"
    flash(
        f"Welcome, {user.name}. Your password is set; sign in with {user.email} from now on."
        + (f"{waits} for your decision." if waiting else ""),
        "success",
    )
    return redirect(home_for(user))


@bp.post("/logout")
def logout():
    with transaction():
        users.sign_out(current_user)
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


def _password_change_limit() -> str:
    return current_app.config["PASSWORD_CHANGE_RATE_LIMIT"]


@bp.route("/account/password", methods=["GET", "POST"])
@role_required(*ANY_ROLE)
@limiter.limit(_password_change_limit, methods=["POST"], deduct_when=lambda r: r.status_code != 302)
def change_password():
    """Users change their own password; every other session of theirs ends."""
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return render_template("auth/password.html", form=form), 400 if form.errors else 200
    try:
        with transaction():
            users.change_own_password(
                current_user, required(form.current.data), required(form.password.data)
            )
    except DomainError as e:
        flash(str(e), "danger")
        return render_template("auth/password.html", form=form), 400
    # This browser stays signed in with the new token (the user object, not the proxy).
    login_user(current_user._get_current_object())
    start_session()
    flash(
        "Your password is changed. Other browsers where you were signed in are signed out.",
        "success",
    )
    return redirect(home_for(current_user))
