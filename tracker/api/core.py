"""What every API route shares: bearer tokens, problem details, ETags, idempotent POSTs and
cursor pages. The routes themselves only parse, call a service and dump."""

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from copy import deepcopy
from datetime import date, timedelta
from functools import cache, wraps
from typing import Any, NoReturn, cast

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request, url_for
from flask_smorest import Blueprint
from flask_smorest import abort as smorest_abort
from flask_smorest.utils import resolve_schema_instance
from marshmallow import RAISE, Schema, ValidationError, missing
from marshmallow import fields as ma_fields
from marshmallow.decorators import POST_DUMP, PRE_DUMP
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from tracker.models import ApiToken, IdempotentRequest, User, db, utcnow
from tracker.models.api import TokenScope
from tracker.models.enums import Role
from tracker.services import DomainError, StaleEdit, transaction

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://engagement-tracker.dev/problems/"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_LIMIT = 200
DEFAULT_LIMIT = 50

TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid input",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}
# A rule relating a field to another field (an end after its start, a bill rate above the pay
# rate), to the caller (staff must name the client) or to today (a start not in the past): JSON
# Schema states none of these, so it is the one 422 a schema-valid body can get.
CROSS_FIELD_RULE = "contextual-rule"
SLUGS = {
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    409: "conflict",
    412: "precondition-failed",
    422: "invalid-input",
    428: "precondition-required",
    429: "rate-limited",
}


# ---------------------------------------------------------------- problem details (RFC 9457)


def abort(status: int, message: str | None = None, **kwargs) -> NoReturn:
    """Stop with problem details (flask-smorest's abort, typed as never returning)."""
    smorest_abort(status, message=message, **kwargs)
    raise AssertionError("unreachable")  # pragma: no cover


def problem_body(
    status: int, detail: str | None = None, errors: Any = None, kind: str | None = None
) -> dict:
    slug = kind or SLUGS.get(status)
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug if slug else "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail or TITLES.get(status, "Error"),
    }
    if errors:
        body["errors"] = errors
    if rid := g.get("request_id"):
        body["instance"] = f"urn:request:{rid}"
    return body


def problem_response(
    status: int, detail: str | None = None, errors: Any = None, headers=None, kind=None
):
    response = current_app.response_class(
        json.dumps(problem_body(status, detail, errors, kind)), status=status, mimetype=PROBLEM_JSON
    )
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _field_errors(messages: Any) -> dict | None:
    """webargs' {"json": {"field": ["…"]}} as {"field": ["…"]} (locations folded together)."""
    if not isinstance(messages, dict):
        return None
    errors: dict = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            errors.update(fields)
        else:
            errors[location] = fields
    return errors


def handle_http_exception(error: HTTPException):
    """Every HTTP error of an API route, as problem details."""
    from tracker.errors import _rollback

    _rollback()
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = _field_errors(data.get("messages"))
    detail = data.get("message") or (error.description if status < 500 else None)
    if status == 422 and errors and not data.get("message"):
        detail = "Some fields are not valid; see errors."
    if status == 405:
        detail = f"{request.method} is not allowed on this resource."
    headers = {}
    if status == 429:
        headers["Retry-After"] = "60"
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    kind = data.get("problem_type")
    if status == 422 and errors and _flat(errors) <= g.get("cross_field_messages", set()):
        kind = CROSS_FIELD_RULE
    return problem_response(status, detail, errors, headers, kind)


def handle_unexpected(error: Exception):
    from tracker.errors import RETRY_AFTER_SECONDS, _database_unreachable, _rollback

    _rollback()
    if _database_unreachable(error):
        current_app.logger.error("Database unreachable on %s %s", request.method, request.path)
        return problem_response(
            503,
            "The database cannot be reached; nothing was saved.",
            None,
            {"Retry-After": RETRY_AFTER_SECONDS},
        )
    current_app.logger.exception("API error on %s %s", request.method, request.path)
    return problem_response(500, "The error has been logged; nothing was saved.")


# ------------------------------------------------------------------------- authentication


def api_user() -> User:
    return g.api_user


def api_token() -> ApiToken:
    return g.api_token


def authenticate_request():
    """before_request of every API route: a live bearer token, or 401; a read token only
    reads (403). Sign-in sessions never count here."""
    from tracker.services.api_tokens import authenticate

    if request.endpoint is None:
        return None  # 404 / 405: answered as problems by the error handler
    _tokens_first()
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return problem_response(401, "Send a token: Authorization: Bearer <token>.")
    token = authenticate(secret.strip())
    if token is None:
        return problem_response(401, "The token is unknown, revoked or expired.")
    g.api_token, g.api_user = token, token.user
    if request.method not in READ_METHODS and token.scope != TokenScope.WRITE:
        return problem_response(403, "This token is read-only; use a token with write scope.")
    return None


# URL id name → the function that loads that record for the token's user or stops with 404
# (another company's, another engineer's) or 403 (a role that never reads such records).
VISIBILITY: dict[str, Callable[[int], object]] = {}


def visibility(arg: str) -> Callable:
    """Register the loader of `<int:arg>` ids: every route that names one checks it first.
    The record it found is kept for the request: the view asking for it again (after the
    guard did) reads no row twice."""

    def register(load: Callable[[int], object]) -> Callable[[int], object]:
        @wraps(load)
        def once(record_id: int) -> object:
            found = g.setdefault("visible_records", {})
            if (arg, record_id) not in found:
                found[arg, record_id] = load(record_id)  # a 404 or 403 raises, kept nowhere
            return found[arg, record_id]

        VISIBILITY[arg] = once
        return once

    return register


def guard_ids():
    """before_request, after the token: each id in the URL must be one this user may see,
    before any body is read — someone else's record is a 404 whatever else is wrong."""
    for name, value in (request.view_args or {}).items():
        if (load := VISIBILITY.get(name)) is not None:
            load(value)


@cache
def _token_with_user() -> sa.Select:
    """SELECT a token with its user: built once (a loader option costs more to make than the
    query costs to run)."""
    return sa.select(ApiToken).options(joinedload(ApiToken.user))


def rate_limit_key() -> str:
    """Flask-Limiter's key: the token when the whole of it is one we issued (its hash found),
    else the address — made-up tokens get no budget of their own, and knowing a token's
    visible prefix does not spend that token's budget."""
    from tracker.services.api_tokens import TOKEN_PREFIX, hash_token

    _tokens_first()
    header = request.headers.get("Authorization", "")
    _, _, secret = header.partition(" ")
    secret = secret.strip()
    if secret.startswith(TOKEN_PREFIX) and len(secret) <= 200:
        # The token with its user, held in g: authenticate_request, next, finds both in the
        # session (one statement for the two, rather than the user loaded on its own after).
        known = db.session.scalar(
            _token_with_user().where(ApiToken.token_hash == hash_token(secret))
        )
        if known is not None:
            g.rate_limited_token = known  # the session only holds weak references
            return f"token:{known.id}"
    return f"addr:{request.remote_addr}"


def _flat(messages: Any) -> set[str]:
    if isinstance(messages, str):
        return {messages}
    if isinstance(messages, dict):
        return set().union(*(_flat(m) for m in messages.values())) if messages else set()
    if isinstance(messages, list | tuple):
        return set().union(*(_flat(m) for m in messages)) if messages else set()
    return {str(messages)}


def cross_field_rule(method: Callable) -> Callable:
    """For a schema's @validates_schema method that relates fields: its refusals are marked so
    that a 422 made of them alone has the problem type `contextual-rule`."""

    @wraps(method)
    def checked(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except ValidationError as error:
            g.setdefault("cross_field_messages", set()).update(_flat(error.messages))
            raise

    return checked


def cross_field_error(field: str, message: str) -> NoReturn:
    """422 for a rule that relates the field to another, to the caller or to today (problem
    type `contextual-rule`), naming the field to change."""
    abort(
        422, message=message, messages={"json": {field: [message]}}, problem_type=CROSS_FIELD_RULE
    )


def require_roles(*roles: str) -> None:
    if api_user().role not in roles:
        abort(403, message="Your account's role cannot use this operation.")


def require_staff() -> None:
    require_roles(Role.ADMIN, Role.ACCOUNT_MANAGER)


# ---------------------------------------------------------------------- service refusals


@contextmanager
def refusals(status: int = 409) -> Iterator[None]:
    """Run a write in one transaction; a business rule's refusal becomes problem details,
    nothing half-written. What the published schema can say (types, lengths, ranges, enums,
    patterns) is refused before, as 422; a refusal here is one that depends on the data
    already stored (a name taken, a status that does not allow the move, a record that cannot
    be used), hence 409 unless the caller says otherwise."""
    try:
        with transaction():
            yield
    except StaleEdit as e:
        abort(412, message=str(e))
    except DomainError as e:
        abort(status, message=str(e))


# ----------------------------------------------------------------------- ETag and If-Match


def etag_of(record) -> str:
    return f'"{record.version_id}"'


def etagged(record, status: int = 200, location: str | None = None):
    """What a view returns for one record: the record (dumped by its schema), its status and
    its ETag (and Location when it was just created)."""
    headers = {"ETag": etag_of(record)}
    if location:
        headers["Location"] = location
    return record, status, headers


# PATCH's If-Match, as the published document states it.
IF_MATCH_REQUIRED = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "description": "The ETag of the record as you read it.",
    "schema": {"type": "string", "minLength": 1, "pattern": "^[^\\x00]*$"},
}


# A move or an action's If-Match: optional; when sent, a changed record is a 412.
IF_MATCH_OPTIONAL = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "description": "Optional: refuse (412) if the record changed since you read this ETag.",
    "schema": {"type": "string", "minLength": 1, "pattern": "^[^\\x00]*$"},
}


def optional_if_match(record) -> int | None:
    """The version an optional If-Match names (412 when it is not the current one), None when
    none was sent."""
    return check_if_match(record) if request.headers.get("If-Match") else None


def check_if_match(record) -> int:
    """PATCH needs If-Match with the record's current ETag: 428 without it, 412 when the
    record changed since. Returns the version the client saw."""
    header = request.headers.get("If-Match") or ""
    if not header:
        abort(428, message="Send If-Match with the ETag you read, so no change is lost.")
    tags = [tag.strip() for tag in header.split(",")]
    current = etag_of(record)
    if "*" in tags:
        return record.version_id
    if current not in tags and f"W/{current}" not in tags:
        abort(412, message="The record changed since you read it; GET it again and retry.")
    return record.version_id


# ------------------------------------------------------------------------ idempotent POSTs


def _fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    digest.update(request.get_data())
    return digest.hexdigest()


IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": (
        "A unique value per intended request: a retry with the same key and body gets the "
        "first answer (Idempotent-Replayed: true) and creates nothing new; the same key with "
        "another body is a 409. Kept 24 hours, per user."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[^\\x00]*$"},
}


def idempotent(view: Callable) -> Callable:
    """POST with Idempotency-Key: the first answer is kept and replayed to retries with the
    same key and body; the same key with another body is a 409. Without the header the POST
    runs as usual."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        key = key.strip()
        if not key or len(key) > 200 or "\x00" in key:
            abort(422, message="Idempotency-Key is 1 to 200 characters.")
        user = api_user()
        fingerprint = _fingerprint()
        kept = _claim(user.id, key, fingerprint)
        if kept is not None:
            return kept
        g.idempotency_watch, g.api_committed = True, False
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except HTTPException as error:
            response = handle_http_exception(error)
        except BaseException:  # an error, a worker timeout (SystemExit), …
            _settle(user.id, key, None)
            raise
        finally:
            g.idempotency_watch = False
        _settle(user.id, key, response)
        return response

    # Published on the operation: the header, and the answers it can bring.
    wrapper._apidoc = deepcopy(getattr(view, "_apidoc", {}))  # type: ignore[attr-defined]
    manual = wrapper._apidoc.setdefault("manual_doc", {})  # type: ignore[attr-defined]
    manual["parameters"] = [*manual.get("parameters", []), IDEMPOTENCY_KEY]
    return wrapper


# Answers that say "try again" are not kept: the retry runs afresh.
NOT_KEPT = frozenset({409, 412, 429})
# A claim nobody answered for this long belonged to a process that died: the next retry runs.
CLAIM_TIMEOUT = timedelta(minutes=5)
# Keys are kept this long, then forgotten (a retry after that runs as a new request).
KEY_LIFETIME = timedelta(hours=24)


@sa.event.listens_for(Session, "after_commit")
def _note_commit(session) -> None:
    """While an idempotent POST runs, note that its work was committed."""
    if has_request_context() and g.get("idempotency_watch"):
        g.api_committed = True


def _settle(user_id: int, key: str, response) -> None:
    """After the view: keep its answer, or free the key so a retry runs again — unless the work
    was committed and only the answer failed, when a retry must not do it twice."""
    failed = response is None or response.status_code >= 500
    if failed and g.get("api_committed"):
        lost = problem_response(
            409,
            "The request with this Idempotency-Key was carried out, but its answer was lost; "
            "GET the record (or the list) to see it.",
        )
        _keep(user_id, key, lost)
    elif failed or response.status_code in NOT_KEPT:
        _release(user_id, key)
    else:
        _keep(user_id, key, response)


def _claim(user_id: int, key: str, fingerprint: str):
    """Our claim on the key, or the answer to give instead (the kept one, or a conflict)."""
    db.session.rollback()
    now = utcnow()
    db.session.execute(
        sa.delete(IdempotentRequest).where(IdempotentRequest.created_at < now - KEY_LIFETIME)
    )
    db.session.add(
        IdempotentRequest(user_id=user_id, key=key, fingerprint=fingerprint, created_at=now)
    )
    try:
        db.session.commit()
        return None
    except IntegrityError:
        db.session.rollback()
    kept = db.session.scalar(
        sa.select(IdempotentRequest).where(
            IdempotentRequest.user_id == user_id, IdempotentRequest.key == key
        )
    )
    if kept is None:  # released in the meantime by a failed first try
        return problem_response(409, "A request with this Idempotency-Key just failed; retry.")
    if kept.fingerprint != fingerprint:
        return problem_response(
            409, "This Idempotency-Key was used with a different request; use a new key."
        )
    if kept.status_code is None:
        if kept.created_at < now - CLAIM_TIMEOUT and _take_over(kept, now):
            return None
        return problem_response(409, "A request with this Idempotency-Key is still running.")
    response = current_app.response_class(
        kept.body,
        status=kept.status_code,
        mimetype=PROBLEM_JSON if kept.status_code >= 400 else "application/json",
    )
    if kept.location:
        response.headers["Location"] = kept.location
    if kept.etag:
        response.headers["ETag"] = kept.etag
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _take_over(kept: IdempotentRequest, now) -> bool:
    """Claim a key whose first request died unanswered (one retry wins the race)."""
    taken = db.session.execute(
        sa.update(IdempotentRequest)
        .where(
            IdempotentRequest.id == kept.id,
            IdempotentRequest.status_code.is_(None),
            IdempotentRequest.created_at == kept.created_at,
        )
        .values(created_at=now)
    )
    db.session.commit()
    return cast(CursorResult, taken).rowcount == 1


def _keep(user_id: int, key: str, response) -> None:
    db.session.rollback()
    db.session.execute(
        sa.update(IdempotentRequest)
        .where(IdempotentRequest.user_id == user_id, IdempotentRequest.key == key)
        .values(
            status_code=response.status_code,
            body=response.get_data(as_text=True),
            location=response.headers.get("Location"),
            etag=response.headers.get("ETag"),
        )
    )
    db.session.commit()


def _release(user_id: int, key: str) -> None:
    db.session.rollback()
    db.session.execute(
        sa.delete(IdempotentRequest).where(
            IdempotentRequest.user_id == user_id, IdempotentRequest.key == key
        )
    )
    db.session.commit()


# -------------------------------------------------------------------------- cursor pages


def encode_cursor(values: list) -> str:
    raw = json.dumps(values, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != size:
        abort(404, message="No page at this cursor: use the `next` link a list gave you.")
    return values


def cursor_page(
    stmt: sa.Select,
    order: list[tuple[Any, bool]],
    limit: int | None,
    cursor: str | None,
    serialize_key: Callable[[Any], list] | None,
    endpoint: str,
    **url_args,
) -> tuple[list, str | None]:
    """One page after the cursor, ordered by `order` ([(column, descending)], the last one a
    unique id), and the link to the next page if there may be one.

    Keyset pagination: a row inserted or deleted meanwhile never shifts a page; each row is
    seen once. Columns in `order` must not be NULL. The next cursor is serialize_key(last
    row), or, without serialize_key, the values of the `order` columns that the database
    returned with the last row (selected alongside it).
    """
    limit = min(max(limit or DEFAULT_LIMIT, 1), MAX_LIMIT)
    if cursor:
        values = decode_cursor(cursor, len(order))
        stmt = stmt.where(_after(order, values))
    stmt = stmt.order_by(*(col.desc() if desc else col.asc() for col, desc in order))
    if serialize_key is None:
        found = db.session.execute(stmt.add_columns(*(col for col, _ in order)).limit(limit + 1))
        selected = [(row[0], list(row[1:])) for row in found]
        rows = [record for record, _key in selected]
    else:
        rows = list(db.session.scalars(stmt.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_link = None
    if more:
        if serialize_key is None:
            last_key = [_plain(value) for value in selected[limit - 1][1]]
        else:
            last_key = serialize_key(rows[-1])
        args = {k: v for k, v in request.args.items() if k not in ("cursor", "limit")}
        next_link = url_for(
            endpoint,
            **url_args,
            **args,
            limit=limit,
            cursor=encode_cursor(last_key),
            _external=False,
        )
    return rows, next_link


def _after(order: list[tuple[Any, bool]], values: list):
    """Rows strictly after `values` in the given order: (a > x) or (a = x and b > y) …"""
    clauses = []
    for i, (col, desc) in enumerate(order):
        value = _typed(col, values[i])
        beyond = col < value if desc else col > value
        equal = [order[j][0] == _typed(order[j][0], values[j]) for j in range(i)]
        clauses.append(sa.and_(*equal, beyond))
    return sa.or_(*clauses)


def _typed(column, value):
    """A cursor value read back as its column's Python type (dates, datetimes, decimals)."""
    try:
        # A TypeDecorator (UTCDateTime) knows no Python type of its own: its impl does.
        python_type = getattr(column.type, "impl_instance", column.type).python_type
    except (AttributeError, NotImplementedError):
        return value
    nowhere = "No page at this cursor: use the `next` link a list gave you."
    try:
        if python_type is int:
            number = int(value)
            if not -(2**63) <= number < 2**63:  # past what a database integer holds
                abort(404, message=nowhere)
            return number
        if python_type.__name__ in ("date", "datetime"):
            moment = python_type.fromisoformat(str(value))
            if python_type.__name__ == "datetime" and moment.tzinfo is None:
                abort(404, message=nowhere)  # we give out aware instants only
            return moment
        if python_type.__name__ == "Decimal":
            return python_type(str(value))
        return python_type(value)
    except (TypeError, ValueError, ArithmeticError):
        abort(404, message=nowhere)


def sorted_page(
    stmt: sa.Select,
    args: dict,
    sorts: dict[str, Any],
    id_column,
    endpoint: str,
    **url_args,
) -> tuple[list, str | None]:
    """A cursor page of `stmt` in the order ?sort= names ("name" or "-name", keys of
    `sorts`, never-NULL columns), ties broken by id in the same direction."""
    key = args.get("sort") or next(iter(sorts))
    descending = key.startswith("-")
    column = sorts[key.lstrip("-")]
    order = [(column, descending), (id_column, descending)]
    attr = [column.key, id_column.key]

    def key_of(row) -> list:
        return [_plain(getattr(row, name)) for name in attr]

    return cursor_page(
        stmt.order_by(None),
        order,
        args.get("limit"),
        args.get("cursor"),
        key_of,
        endpoint,
        **url_args,
    )


def expression_page(
    stmt: sa.Select,
    args: dict,
    sorts: dict[str, Any],
    default: str,
    id_column,
    endpoint: str,
    *,
    select_from=None,
    **url_args,
):
    """A cursor page of `stmt` in the order ?sort= names, where the sort keys are the pages'
    own SQL expressions (lower(name), a rank, a coalesce), ties broken by id.

    The cursor holds the expression's value for the page's last row as the database computes
    it, selected with the page's rows, so the keyset comparison never disagrees with the
    order. (`select_from`, the tables the expression reads, is no longer needed for that: the
    page's own statement has them, since it orders by the expression.)"""
    del select_from
    key = args.get("sort") or default
    descending = key.startswith("-")
    expression = sorts[key.lstrip("-")]
    if isinstance(expression.type, sa.types.NullType):  # lower(…): SQL names no type
        expression = sa.type_coerce(expression, sa.String)  # so the cursor reads back text
    return cursor_page(
        stmt.order_by(None),
        [(expression, descending), (id_column, descending)],
        args.get("limit"),
        args.get("cursor"),
        None,
        endpoint,
        **url_args,
    )


def _plain(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is not None and type(value).__name__ == "Decimal":
        return str(value)
    return value


def sort_values(sorts: dict[str, Any]) -> list[str]:
    """The ?sort= values a list takes: each key, ascending or descending."""
    return [value for key in sorts for value in (key, f"-{key}")]


# ------------------------------------------------------------------------------ blueprints


def _api_rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", "600 per minute")


class StrictParser(FlaskParser):
    """Unknown query parameters are refused like unknown body fields: a misspelt filter
    must not quietly list everything."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE}


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = StrictParser()

    def response(self, status_code, schema=None, **kwargs):
        """flask-smorest's response decorator, its schema dumping through compiled_dump; a
        list's answers (a page schema) kept by first_pages_kept."""
        if schema is not None:
            schema = resolve_schema_instance(schema)
            # The instance this decorator dumps with (and documents: its fields are unchanged).
            schema.dump = compiled_dump(schema)
        decorator = super().response(status_code, schema, **kwargs)
        if status_code != 200 or not getattr(schema, "is_page", False):
            return decorator
        return lambda view: first_pages_kept(decorator(view))


# ------------------------------------------------------------------- first pages kept
#
# Integrations poll the first page of a list ("what is new?") far more often than anything
# changes. Such an answer depends only on the data, the token's user, the query string and the
# day, so it is kept (tracker.infra.cache, a store of its own) until a write to the tables it
# read: never stale, whichever process or machine wrote. Kept per user (their role, company
# or engineer decide what they see), and only first pages: a walk through the cursors reads
# each page once and would only push the first pages out. A list under a record depends on
# that record too, read before the view by the ids' guard (after the tokens). Authentication,
# the ids' guard and the rate limit (before_request) run on every request; a refusal in the
# view (403, 404, bad input) raises and is never kept.

API_STORE = "api"


class _NotKept(Exception):
    def __init__(self, response):
        self.response = response


def _tokens_first() -> None:
    """For a request a kept answer may serve: the data's tokens read before the token's user
    and the ids' records (the answer depends on them), so a write in between is seen by
    the next request rather than kept under the newer tokens."""
    if request.method not in READ_METHODS or "cursor" in request.args:
        return
    view = current_app.view_functions.get(request.endpoint or "")
    method = getattr(getattr(view, "view_class", None), "get", view)
    if getattr(method, "keeps_first_page", False):
        from tracker.infra.cache import tokens_now

        tokens_now()


def first_pages_kept(view: Callable) -> Callable:
    """The view (flask-smorest's wrapper, which answers a Response), its 200 answers to a GET
    without a cursor kept per user, query string and day until a write to what it read."""
    from tracker.infra.cache import cached

    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.method not in READ_METHODS or "cursor" in request.args:
            return view(*args, **kwargs)
        user = api_user()
        key = (
            request.endpoint,
            request.script_root,
            request.path,
            tuple(sorted(request.args.items(multi=True))),
            (user.id, user.role, user.client_id, user.engineer_id),
            date.today(),
        )

        def answer():
            response = view(*args, **kwargs)
            if response.status_code != 200 or response.direct_passthrough:
                raise _NotKept(response)
            return response.get_data(), tuple(response.headers.items())

        try:
            body, headers = cached(key, answer, store=API_STORE)
        except _NotKept as not_kept:
            return not_kept.response
        return current_app.response_class(body, 200, list(headers))

    # (read by _tokens_first)
    wrapper.keeps_first_page = True  # type: ignore[attr-defined]
    return wrapper


# ------------------------------------------------------------------------- faster dumps
#
# A list answers 50 records of 20 to 30 fields each, some with nested ones: thousands of
# marshmallow field dumps per request, each going through Field.serialize, Field.get_value,
# Schema.get_attribute, utils.get_value and _get_value_for_key before the field formats its
# value. compiled_dump walks a schema's fields once and keeps, per field, only what its dump
# does for this schema (the attribute to read, how to format the value), giving the same
# output; anything it does not know (a hook, an overridden method) keeps marshmallow's path.

_PLAIN, _INTEGER, _STRING = 0, 1, 2


def _value_dumper(field: Any, name: str) -> Callable[[Any, Any], Any]:
    """(value, obj) -> what field._serialize(value, name, obj) returns."""
    kind: Any = type(field)
    if kind._serialize is ma_fields.List._serialize:
        inner = _value_dumper(field.inner, name)
        return lambda value, obj: None if value is None else [inner(v, obj) for v in value]
    if kind._serialize is ma_fields.Nested._serialize:
        nested = field.schema
        one = _compiled(nested)
        if one is not None:
            if nested.many or field.many:
                return lambda value, obj: None if value is None else [one(v) for v in value]
            return lambda value, obj: None if value is None else one(value)
    serialize = field._serialize
    return lambda value, obj: serialize(value, name, obj)


def _format_kind(field: ma_fields.Field) -> int:
    """Integer and String format inline (int(value), str(value)); others call _serialize."""
    kind: Any = type(field)
    if (
        kind._serialize is ma_fields.Number._serialize
        and kind._format_num is ma_fields.Number._format_num
        and getattr(field, "num_type", None) is int
        and not getattr(field, "as_string", True)
    ):
        return _INTEGER
    if kind._serialize is ma_fields.String._serialize:
        return _STRING
    return _PLAIN


def _compiled(schema: Schema) -> Callable[[Any], dict] | None:
    """obj -> schema.dump(obj) for one object, or None when this schema needs marshmallow."""
    kind = type(schema)
    if (
        schema._hooks[PRE_DUMP]
        or schema._hooks[POST_DUMP]
        or kind.dump is not Schema.dump
        or kind._serialize is not Schema._serialize
        or kind.get_attribute is not Schema.get_attribute
    ):
        return None
    # (key, attribute name or reader, own serialize, format, value dumper, dump_default)
    plan: list[tuple[str, Any, Any, int, Any, Any]] = []
    for name, field in schema.dump_fields.items():
        key = field.data_key if field.data_key is not None else name
        attribute = field.attribute if field.attribute is not None else name
        if type(field).serialize is not ma_fields.Field.serialize:
            plan.append((key, None, _generic(schema, name, field), _PLAIN, None, missing))
            continue
        if not field._CHECK_ATTRIBUTE:  # a Function or Method field: no attribute read
            plan.append((key, None, None, _PLAIN, _value_dumper(field, name), missing))
            continue
        if type(field).get_value is not ma_fields.Field.get_value or "." in attribute:
            read = _reader(schema, name, field)
            plan.append((key, read, None, _format_kind(field), _value_dumper(field, name),
                         field.dump_default))  # fmt: skip
            continue
        plan.append((key, attribute, None, _format_kind(field), _value_dumper(field, name),
                     field.dump_default))  # fmt: skip
    dict_class = schema.dict_class

    def dump_one(obj) -> dict:
        ret = dict_class()
        # What utils.get_value does for a plain key: obj[key] when obj has items, else the
        # attribute (a model's column).
        mapping = hasattr(obj, "__getitem__")
        for key, attribute, whole, fmt, dump_value, default in plan:
            if whole is not None:  # the field's own serialize
                value = whole(obj)
                if value is not missing:
                    ret[key] = value
                continue
            if attribute is None:  # no attribute: the field computes from obj
                value = dump_value(None, obj)
                if value is not missing:
                    ret[key] = value
                continue
            if type(attribute) is str:
                if mapping:
                    value = _item_or_attribute(obj, attribute)
                else:
                    value = getattr(obj, attribute, missing)
            else:
                value = attribute(obj)
            if value is missing:
                value = default() if callable(default) else default
                if value is missing:
                    continue
            if value is None and fmt != _PLAIN:
                ret[key] = None
            elif fmt == _INTEGER:
                ret[key] = int(value)
            elif fmt == _STRING:
                ret[key] = value.decode("utf-8") if isinstance(value, bytes) else str(value)
            elif (value := dump_value(value, obj)) is not missing:
                ret[key] = value
        return ret

    return dump_one


def _item_or_attribute(obj, key: str):
    try:
        return obj[key]
    except (KeyError, IndexError, TypeError, AttributeError):
        return getattr(obj, key, missing)


def _reader(schema: Schema, name: str, field: ma_fields.Field) -> Callable[[Any], Any]:
    return lambda obj: field.get_value(obj, name, accessor=schema.get_attribute)


def _generic(schema: Schema, name: str, field: ma_fields.Field) -> Callable[[Any], Any]:
    return lambda obj: field.serialize(name, obj, accessor=schema.get_attribute)


def compiled_dump(schema: Schema) -> Callable[..., Any]:
    """schema.dump with the same output, made faster by _compiled (on first use, once the
    schemas it nests are all defined)."""
    original = schema.dump
    compiled: list = []

    def dump(obj, *, many: bool | None = None):
        many = schema.many if many is None else bool(many)
        if not compiled:
            compiled.append(_compiled(schema))
        one = compiled[0]
        if one is None:
            return original(obj, many=many)
        if many:
            return original(obj, many=True) if obj is None else [one(d) for d in obj]
        return one(obj)

    return dump


def api_blueprint(name: str, url_prefix: str, description: str) -> Blueprint:
    """A flask-smorest blueprint of the API: token authentication first, problem details
    for every error, a rate limit per token, no CSRF (no cookies authenticate it)."""
    from tracker.extensions import csrf, limiter

    blp = ApiBlueprint(name, name, url_prefix=url_prefix, description=description)
    blp.before_request(authenticate_request)
    blp.before_request(guard_ids)
    blp.register_error_handler(HTTPException, handle_http_exception)
    blp.register_error_handler(Exception, handle_unexpected)
    limiter.limit(_api_rate_limit, key_func=rate_limit_key)(blp)
    csrf.exempt(blp)
    return blp
