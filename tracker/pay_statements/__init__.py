"""Pay statements for agency staff: the list, a month's drafts, one statement, payroll CSV."""

from flask import Blueprint

bp = Blueprint("pay_statements", __name__, url_prefix="/pay-statements")

from tracker.pay_statements import routes  # noqa: E402, F401
