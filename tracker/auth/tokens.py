"""API tokens on the account page: each user lists, creates and revokes their own.

A new token's secret is shown once, in the answer to the POST that made it (never stored in
the session, never cacheable); afterwards only its prefix is ever shown.
"""

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_login import current_user

from tracker.auth import bp
from tracker.auth.access import ANY_ROLE, role_required
from tracker.auth.forms import ApiTokenForm
from tracker.extensions import db
from tracker.models import ApiToken, utcnow
from tracker.services import DomainError, api_tokens, transaction


def _tokens_page(form: ApiTokenForm, status: int = 200):
    tokens = api_tokens.user_tokens(current_user)
    page = render_template("auth/tokens.html", form=form, tokens=tokens, now=utcnow())
    return page, status


@bp.get("/account/tokens")
@role_required(*ANY_ROLE)
def tokens():
    return _tokens_page(ApiTokenForm())


@bp.post("/account/tokens")
@role_required(*ANY_ROLE)
def create_token():
    form = ApiTokenForm()
    if not form.validate_on_submit():
        return _tokens_page(form, 400)
    try:
        with transaction():
            new = api_tokens.create_token(current_user, **form.to_input())
    except DomainError as e:
        flash(str(e), "danger")
        return _tokens_page(form, 400)
    response = make_response(render_template("auth/token_created.html", new=new))
    response.headers["Cache-Control"] = "no-store"  # the secret stays in no cache, ever
    return response


@bp.post("/account/tokens/<int:token_id>/revoke")
@role_required(*ANY_ROLE)
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)  # another user's token: as if it did not exist
    try:
        with transaction():
            api_tokens.revoke_token(token, current_user)
    except DomainError as e:
        flash(str(e), "warning")
        return redirect(url_for("auth.tokens"))
    flash(
        f"The token {token.name} ({token.prefix}) is revoked: it no longer opens the API.",
        "success",
    )
    return redirect(url_for("auth.tokens"))
