"""Users: list, create, edit role and access, reset a password."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user
from sqlalchemy.orm import selectinload

from tracker.admin import bp
from tracker.admin.forms import NewUserForm, PasswordResetForm, UserFilterForm, UserForm
from tracker.auth.access import role_required
from tracker.extensions import db
from tracker.forms import required
from tracker.infra.audit import timeline
from tracker.infra.listing import icontains
from tracker.infra.pagination import paginate
from tracker.models import Client, User
from tracker.models.enums import Role
from tracker.services import DomainError, transaction, users

admin_required = role_required(Role.ADMIN)


def _client_choices() -> dict[str, str]:
    names = db.session.execute(
        sa.select(Client.id, Client.name).where(Client.archived_at.is_(None)).order_by(Client.name)
    )
    return {"": "— none —", **{str(i): n for i, n in names}}


@bp.get("/users")
@admin_required
def users_index():
    form = UserFilterForm(request.args)
    stmt = sa.select(User).options(selectinload(User.client)).order_by(User.name, User.id)
    if form.validate() and form.q.data:
        # The escaped pattern: a % or _ typed in the box is that character, not a wildcard.
        q = form.q.data
        stmt = stmt.where(sa.or_(icontains(User.name, q), icontains(User.email, q)))
    if form.role.data:
        stmt = stmt.where(User.role == form.role.data)
    page = paginate(stmt)
    return render_template("admin/users.html", page=page, form=form)


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def users_create():
    form = NewUserForm()
    form.client_id.choices = _client_choices()
    if not form.validate_on_submit():
        return render_template("admin/user_form.html", form=form, user=None), (
            400 if form.errors else 200
        )
    client = db.session.get(Client, form.client_id.data) if form.client_id.data else None
    try:
        with transaction():
            user = users.create_user(
                email=required(form.email.data),
                name=required(form.name.data),
                role=form.role.data,
                password=required(form.password.data),
                client=client,
                is_active=form.is_active.data,
                actor=current_user,
            )
    except DomainError as e:
        flash(str(e), "danger")
        return render_template("admin/user_form.html", form=form, user=None), 409
    flash(f"User {user.email} created.", "success")
    return redirect(url_for("admin.users_edit", user_id=user.id))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def users_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user)
    form.client_id.choices = _client_choices()
    password_form = PasswordResetForm(prefix="pw")
    if form.validate_on_submit():
        client = db.session.get(Client, form.client_id.data) if form.client_id.data else None
        try:
            with transaction():
                changes = users.update_user(
                    user,
                    name=required(form.name.data),
                    role=form.role.data,
                    client=client,
                    is_active=form.is_active.data,
                    actor=current_user,
                )
        except DomainError as e:
            flash(str(e), "danger")
        else:
            flash("Saved." if changes else "Nothing changed.", "success" if changes else "info")
            return redirect(url_for("admin.users_edit", user_id=user.id))
    status = 400 if form.errors else 200
    if request.method == "POST" and not form.errors:
        status = 409
    return render_template(
        "admin/user_form.html",
        form=form,
        password_form=password_form,
        user=user,
        events=timeline(user),
    ), status


@bp.post("/users/<int:user_id>/password")
@admin_required
def users_password(user_id: int):
    user = db.get_or_404(User, user_id)
    password_form = PasswordResetForm(prefix="pw")
    if password_form.validate_on_submit():
        try:
            with transaction():
                users.set_password(user, required(password_form.password.data), actor=current_user)
        except DomainError as e:
            flash(str(e), "danger")
        else:
            if user.id == current_user.id:
                login_user(user)  # keep this session; every other one has ended
            flash(f"Password of {user.email} changed; their sessions have ended.", "success")
            return redirect(url_for("admin.users_edit", user_id=user.id))
    form = UserForm(obj=user)
    form.client_id.choices = _client_choices()
    return render_template(
        "admin/user_form.html",
        form=form,
        password_form=password_form,
        user=user,
        events=timeline(user),
    ), 400
