"""Client landing page: their open requests, placements and what waits for them."""

from flask import render_template
from flask_login import current_user

from tracker.auth.access import client_required
from tracker.portal import bp
from tracker.services import portal


@bp.get("/")
@client_required
def index():
    client_id = current_user.client_id
    return render_template(
        "portal/index.html",
        client=current_user.client,
        figures=portal.client_figures(client_id),
        requests=portal.client_requests(client_id),
        placements=portal.client_active_placements(client_id),
    )
