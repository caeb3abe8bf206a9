"""Staffing requests: what a client asked for, the rules for changing it, and its status moves."""

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, time
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from tracker.infra.audit import pending_changes, record_event
from tracker.infra.listing import Sort, apply_sort, icontains
from tracker.models import (
    Client,
    Placement,
    Proposal,
    RequestSkill,
    Skill,
    StaffingRequest,
    User,
    db,
    utcnow,
)
from tracker.models.enums import ACTIVE_REQUEST_STATUSES, Priority, RequestStatus, Seniority
from tracker.services import DomainError, ensure_version
from tracker.services.status_moves import (
    STAFF,
    SYSTEM,
    By,
    Moves,
    is_final,
    may,
    mover,
    moves_for,
    only_people,
    options,
    people_who_may,
    who_words,
)
from tracker.services.timezones import WorkingWindow, is_valid_timezone
from tracker.text import day

S = RequestStatus

# Every move a request's status can make, and who may make it: the one table of request
# statuses; move_request makes each of them, the automatic ones too. Closed and cancelled are
# final. A request starts as a draft (logged by staff, or by a client in the portal): that is
# its creation, not a move.
REQUEST_STATUS_MOVES: Moves = {
    (S.DRAFT, S.OPEN): STAFF,
    (S.DRAFT, S.CANCELLED): STAFF,
    (S.OPEN, S.ON_HOLD): STAFF,
    # The system too: a new placement brings the live placements up to the headcount.
    (S.OPEN, S.FILLED): STAFF | SYSTEM,
    (S.OPEN, S.CLOSED): STAFF,
    (S.OPEN, S.CANCELLED): STAFF,
    (S.ON_HOLD, S.OPEN): STAFF,
    # Only the system: the last engineer needed is placed while the request is on hold (every
    # seat is taken, so it is filled). A person cannot mark a paused request filled by hand.
    (S.ON_HOLD, S.FILLED): SYSTEM,
    (S.ON_HOLD, S.CLOSED): STAFF,
    (S.ON_HOLD, S.CANCELLED): STAFF,
    # The system too: a placement ends as replaced or because the engineer left, and the seat
    # is free again (placements.REOPENING_REASONS).
    (S.FILLED, S.OPEN): STAFF | SYSTEM,
    (S.FILLED, S.CLOSED): STAFF,
}
# Where staff may take a request from each status (the request page's choices), read from the
# table. Admins and account managers may make the same moves.
REQUEST_MOVES: dict[str, tuple[str, ...]] = moves_for(
    REQUEST_STATUS_MOVES, RequestStatus, By.ACCOUNT_MANAGER
)

# Urgent first when sorting ascending.
PRIORITY_RANK = sa.case(
    {p.value: rank for rank, p in enumerate(reversed(Priority))},
    value=StaffingRequest.priority,
    else_=len(Priority),
)
# The order a request lives through, so "status" sorts by progress rather than alphabet.
STATUS_RANK = sa.case(
    {s.value: rank for rank, s in enumerate(RequestStatus)},
    value=StaffingRequest.status,
    else_=len(RequestStatus),
)

SORTS = {
    "title": sa.func.lower(StaffingRequest.title),
    "client": sa.func.lower(Client.name),
    "start": StaffingRequest.start_date,
    "priority": PRIORITY_RANK,
    "status": STATUS_RANK,
    "created": StaffingRequest.created_at,
}
DEFAULT_SORT = "priority"

MAX_HEADCOUNT = 100
MAX_DURATION_WEEKS = 520
EXPORT_BATCH = 500


@dataclass(frozen=True)
class SkillNeed:
    """One skill the request asks for, at a minimum level, as a must-have or a nice-to-have."""

    skill_id: int
    min_level: int
    required: bool


@dataclass(frozen=True)
class RequestInput:
    """What a person enters for a staffing request."""

    client_id: int
    title: str
    seniority: str
    headcount: int
    start_date: date
    skills: tuple[SkillNeed, ...]
    description: str | None = None
    duration_weeks: int | None = None
    # All three empty: the client's zone and hours apply.
    timezone: str | None = None
    workday_start: time | None = None
    workday_end: time | None = None
    min_overlap_hours: Decimal = Decimal(4)
    max_bill_rate: Decimal | None = None
    priority: str = Priority.NORMAL


ALL = "all"  # the status filter's "any status"; no status chosen means the active ones


@dataclass(frozen=True)
class RequestFilters:
    q: str | None = None
    status: str | None = None
    client_id: int | None = None
    priority: str | None = None
    seniority: str | None = None

    @property
    def active(self) -> bool:
        """Whether the user narrowed the list (beyond the default of active requests)."""
        return any(v for k, v in asdict(self).items() if k != "status") or self.status not in (
            None,
            ALL,
        )


@dataclass(frozen=True)
class WorkingHours:
    """The zone and local hours a request's engineers must overlap."""

    timezone: str
    start: time
    end: time
    from_client: bool = False

    @property
    def window(self) -> WorkingWindow:
        """The same hours as a working window (Mon–Fri), the shape overlap is worked out on."""
        return WorkingWindow(self.timezone, self.start, self.end)


class InvalidRequest(DomainError):
    """The input breaks a rule of staffing requests; the person can fix it in the form."""


# --- reading ---------------------------------------------------------------------------------


def effective_hours(staffing_request: StaffingRequest) -> WorkingHours:
    """The team's hours, the one rule for them: the request's own zone and hours when it sets
    them (all three: the database takes them whole or not at all), or else its client's.
    Matching, the portal's overlap, the request page and the CSV export all read them here."""
    r = staffing_request
    if r.timezone and r.workday_start is not None and r.workday_end is not None:
        return WorkingHours(r.timezone, r.workday_start, r.workday_end)
    c = r.client
    return WorkingHours(c.timezone, c.workday_start, c.workday_end, from_client=True)


def _ordered_skills(needs) -> list:
    """Must-haves first, then by skill name: the order skills are shown and compared in."""
    return sorted(needs, key=lambda n: (not n.required, n.skill.name.lower()))


def skills_text(staffing_request: StaffingRequest) -> str:
    """'Python ≥4 (must), PyTorch ≥3 (nice)' — how the history shows a skill list."""
    return ", ".join(
        f"{n.skill.name} ≥{n.min_level} ({'must' if n.required else 'nice'})"
        for n in _ordered_skills(staffing_request.skills)
    )


def must_haves(staffing_request: StaffingRequest) -> list[RequestSkill]:
    """The skills every candidate must have, by name."""
    return [n for n in _ordered_skills(staffing_request.skills) if n.required]


def nice_to_haves(staffing_request: StaffingRequest) -> list[RequestSkill]:
    """The skills that count in a candidate's favour, by name."""
    return [n for n in _ordered_skills(staffing_request.skills) if not n.required]


def allowed_moves(
    staffing_request: StaffingRequest, by: str = By.ACCOUNT_MANAGER
) -> tuple[str, ...]:
    """The statuses this request may move to now (by default: those staff may pick)."""
    return options(REQUEST_STATUS_MOVES, staffing_request.status, by)


def request_list(filters: RequestFilters, sort: Sort) -> sa.Select:
    """Requests matching the filters, with client and skills loaded in a fixed number of queries."""
    stmt = sa.select(StaffingRequest).options(selectinload(StaffingRequest.skills))
    if filters.q or sort.key == "client":  # searched or sorted by client name: join it
        stmt = stmt.join(StaffingRequest.client).options(contains_eager(StaffingRequest.client))
    else:  # no join: the status index leads, and one more query loads the page's clients
        stmt = stmt.options(selectinload(StaffingRequest.client))
    if filters.q:
        stmt = stmt.where(
            sa.or_(icontains(StaffingRequest.title, filters.q), icontains(Client.name, filters.q))
        )
    if filters.status == ALL:
        pass
    elif filters.status:
        stmt = stmt.where(StaffingRequest.status == filters.status)
    else:  # by default the work in hand: years of closed requests stay out of the way
        stmt = stmt.where(StaffingRequest.status.in_(ACTIVE_REQUEST_STATUSES))
    if filters.client_id:
        stmt = stmt.where(StaffingRequest.client_id == filters.client_id)
    if filters.priority:
        stmt = stmt.where(StaffingRequest.priority == filters.priority)
    if filters.seniority:
        stmt = stmt.where(StaffingRequest.seniority == filters.seniority)
    # Sorted column, then the soonest start, then id: pages never shuffle rows between them.
    stmt = apply_sort(stmt, sort, SORTS, StaffingRequest.start_date)
    return stmt.order_by(StaffingRequest.id.desc() if sort.descending else StaffingRequest.id)


EXPORT_HEADER = (
    "id",
    "title",
    "client",
    "status",
    "priority",
    "seniority",
    "headcount",
    "start_date",
    "duration_weeks",
    "timezone",
    "workday_start",
    "workday_end",
    "min_overlap_hours",
    "max_bill_rate",
    "must_have",
    "nice_to_have",
    "created_at",
)


def _skill_cell(needs: list[RequestSkill]) -> str:
    return ";".join(f"{n.skill.name}:{n.min_level}" for n in needs)


def export_rows(filters: RequestFilters, sort: Sort) -> Iterator[list]:
    """Every matching request as a CSV row, read from the database in bounded batches."""
    stmt = request_list(filters, sort).execution_options(yield_per=EXPORT_BATCH)
    for r in db.session.scalars(stmt):
        hours = effective_hours(r)
        yield [
            r.id,
            r.title,
            r.client.name,
            r.status,
            r.priority,
            r.seniority,
            r.headcount,
            r.start_date.isoformat(),
            r.duration_weeks,
            hours.timezone,
            hours.start.strftime("%H:%M"),
            hours.end.strftime("%H:%M"),
            f"{float(r.min_overlap_hours):g}",
            r.max_bill_rate,
            _skill_cell(must_haves(r)),
            _skill_cell(nice_to_haves(r)),
            r.created_at.isoformat(timespec="seconds"),
        ]


def load_request(request_id: int) -> StaffingRequest | None:
    """One request with its client, creator and skills, for the detail and edit pages."""
    return db.session.get(
        StaffingRequest,
        request_id,
        options=[
            joinedload(StaffingRequest.client),
            joinedload(StaffingRequest.created_by),
            selectinload(StaffingRequest.skills),
        ],
    )


def has_candidates(staffing_request: StaffingRequest) -> bool:
    """Whether engineers were proposed or placed on it (then its client is fixed)."""
    if not sa.inspect(staffing_request).has_identity:  # not saved yet: nobody proposed
        return False
    proposed = sa.exists().where(Proposal.request_id == staffing_request.id)
    placed = sa.exists().where(Placement.request_id == staffing_request.id)
    return bool(db.session.scalar(sa.select(sa.or_(proposed, placed))))


def any_requests() -> bool:
    """Whether there is any request at all, whatever its status."""
    return db.session.scalar(sa.select(StaffingRequest.id).limit(1)) is not None


def client_choices(include_id: int | None = None) -> list[tuple[int, str]]:
    """Clients a request can be for: the non-archived ones (plus a given one), by name."""
    condition: sa.ColumnElement[bool] = Client.archived_at.is_(None)
    if include_id is not None:
        condition = sa.or_(condition, Client.id == include_id)
    rows = db.session.execute(
        sa.select(Client.id, Client.name).where(condition).order_by(sa.func.lower(Client.name))
    )
    return [(cid, name) for cid, name in rows]


# --- changing --------------------------------------------------------------------------------


def _validate(data: RequestInput, current: StaffingRequest | None, today: date) -> dict:
    """Refuse input that breaks a rule; returns the requested skills by id."""
    if not data.title.strip():
        raise InvalidRequest("A request needs a title.")
    if data.seniority not in Seniority.values():
        raise InvalidRequest(f"“{data.seniority}” is not a seniority.")
    if data.priority not in Priority.values():
        raise InvalidRequest(f"“{data.priority}” is not a priority.")
    if not 1 <= data.headcount <= MAX_HEADCOUNT:
        raise InvalidRequest(f"Headcount must be between 1 and {MAX_HEADCOUNT}.")
    start_changed = current is None or data.start_date != current.start_date
    if start_changed and data.start_date < today:
        raise InvalidRequest(
            f"The start date {day(data.start_date)} is in the past; pick today or a later day."
        )
    if data.duration_weeks is not None and not 1 <= data.duration_weeks <= MAX_DURATION_WEEKS:
        raise InvalidRequest(
            f"Duration must be 1 to {MAX_DURATION_WEEKS} weeks, or empty for open-ended."
        )
    _validate_hours(data)
    overlap = data.min_overlap_hours
    if not Decimal(0) <= overlap <= Decimal(24) or (overlap * 2) % 1:
        raise InvalidRequest("Minimum overlap is 0 to 24 hours, in half hours.")
    if data.max_bill_rate is not None and data.max_bill_rate < 0:
        raise InvalidRequest("The maximum bill rate cannot be negative.")
    _validate_client(data, current)
    return _validate_skills(data.skills)


def _validate_hours(data: RequestInput) -> None:
    given = [data.timezone, data.workday_start, data.workday_end]
    if all(v is None for v in given):
        return
    if any(v is None for v in given):
        raise InvalidRequest(
            "Give the time zone, start and end of the working day together, or use the client's."
        )
    if not is_valid_timezone(data.timezone):
        raise InvalidRequest(f"“{data.timezone}” is not a time zone we know.")
    if data.workday_start == data.workday_end:
        raise InvalidRequest("The end of the working day must differ from its start.")


def _validate_client(data: RequestInput, current: StaffingRequest | None) -> None:
    if current is not None and data.client_id == current.client_id:
        return
    if current is not None and has_candidates(current):
        raise DomainError(
            "The client cannot change: engineers have already been proposed or placed "
            "on this request. Cancel it and log a new request for the other client."
        )
    client = db.session.get(Client, data.client_id)
    if client is None:
        raise InvalidRequest("Choose the client this request is for.")
    if client.archived_at is not None:
        raise InvalidRequest(f"{client.name} is archived; restore the client first.")


def _validate_skills(needs: tuple[SkillNeed, ...]) -> dict[int, Skill]:
    if not needs:
        raise InvalidRequest("Add at least one must-have skill.")
    known = {
        s.id: s
        for s in db.session.scalars(
            sa.select(Skill).where(Skill.id.in_({n.skill_id for n in needs}))
        )
    }
    seen: set[int] = set()
    for need in needs:
        skill = known.get(need.skill_id)
        if skill is None:
            raise InvalidRequest("One of the skills is not in the catalogue.")
        if need.skill_id in seen:
            raise InvalidRequest(f"{skill.name} is listed twice; keep one row per skill.")
        seen.add(need.skill_id)
        if not 1 <= need.min_level <= 5:
            raise InvalidRequest(f"The minimum level for {skill.name} must be 1 to 5.")
    if not any(n.required for n in needs):
        raise InvalidRequest("Add at least one must-have skill; nice-to-haves alone match anyone.")
    return known


def _assign(staffing_request: StaffingRequest, data: RequestInput) -> None:
    values = asdict(data)
    del values["skills"]
    values["title"] = data.title.strip()
    values["description"] = (data.description or "").strip() or None
    for name, value in values.items():
        setattr(staffing_request, name, value)


def _set_skills(
    staffing_request: StaffingRequest, needs: tuple[SkillNeed, ...], skills: dict[int, Skill]
) -> None:
    """Make the request's skill rows match the input, updating rows in place where possible."""
    wanted = {n.skill_id: n for n in needs}
    for row in list(staffing_request.skills):
        if row.skill_id not in wanted:
            staffing_request.skills.remove(row)
    existing = {row.skill_id: row for row in staffing_request.skills}
    for skill_id, need in wanted.items():
        kept = existing.get(skill_id)
        if kept is None:
            kept = RequestSkill(skill=skills[skill_id])
            staffing_request.skills.append(kept)
        kept.min_level = need.min_level
        kept.required = need.required


def create_request(
    data: RequestInput, actor: User, *, open_now: bool = False, today: date | None = None
) -> StaffingRequest:
    """A new request, as a draft (or opened at once), recorded in its history."""
    skills = _validate(data, None, today or date.today())
    staffing_request = StaffingRequest(status=RequestStatus.DRAFT, created_by_id=actor.id)
    _assign(staffing_request, data)
    _set_skills(staffing_request, data.skills, skills)
    db.session.add(staffing_request)
    changes = pending_changes(staffing_request)
    changes["skills"] = [None, skills_text(staffing_request)]
    record_event(actor, "request.created", staffing_request, changes)
    if open_now:
        move_request(staffing_request, RequestStatus.OPEN, actor)
    return staffing_request


def update_request(
    staffing_request: StaffingRequest,
    data: RequestInput,
    actor: User,
    version=None,
    *,
    today: date | None = None,
) -> dict:
    """Apply an edit unless someone saved a newer version; returns what changed."""
    ensure_version(staffing_request, version, f"The request “{staffing_request.title}”")
    skills = _validate(data, staffing_request, today or date.today())
    old_skills = skills_text(staffing_request)
    _assign(staffing_request, data)
    changes = pending_changes(staffing_request)
    _set_skills(staffing_request, data.skills, skills)
    new_skills = skills_text(staffing_request)
    if new_skills != old_skills:
        changes["skills"] = [old_skills, new_skills]
        # Skills live in their own table: touch the request so its version moves too and a
        # concurrent edit of the skills alone is caught.
        staffing_request.updated_at = utcnow()
    if changes:
        record_event(actor, "request.updated", staffing_request, changes)
    return changes


def _status_label(status: str) -> str:
    try:
        return RequestStatus(status).label.lower()
    except ValueError:
        return f"“{status}”"


def may_move(
    staffing_request: StaffingRequest,
    target: str,
    actor: User | None = None,
    *,
    automatic: bool = False,
) -> bool:
    """Whether REQUEST_STATUS_MOVES lets this mover take the request to `target` now."""
    by = mover(actor, automatic=automatic)
    return may(REQUEST_STATUS_MOVES, staffing_request.status, target, by)


def _refusal(current: str, target: str, by: str) -> str:
    """Why `by` may not move a request from current to target, in words."""
    message = f"A request cannot go from {_status_label(current)} to {_status_label(target)}"
    if people := people_who_may(REQUEST_STATUS_MOVES, current, target):
        return f"{message}; {only_people(people)}."
    if allowed := options(REQUEST_STATUS_MOVES, current, by):
        choices = " or ".join(_status_label(s) for s in allowed)
        return f"{message}; from {_status_label(current)} it can go to {choices}."
    if is_final(REQUEST_STATUS_MOVES, current):
        return f"{message}; {_status_label(current)} is final."
    return f"{message}; {who_words(by)} cannot move a request that is {_status_label(current)}."


def move_request(
    staffing_request: StaffingRequest,
    target: str,
    actor: User | None,
    version=None,
    *,
    automatic: bool = False,
) -> None:
    """Move the request to another status if REQUEST_STATUS_MOVES lets the mover make the move.

    The one place a request's status changes. A person moves it as their role; `automatic`
    moves are the system's (a consequence of another change, made on behalf of `actor`, or of
    nobody when actor is None). Either way the history records the actor and the move."""
    ensure_version(staffing_request, version, f"The request “{staffing_request.title}”")
    current = staffing_request.status
    if target not in RequestStatus.values():
        raise DomainError(f"{_status_label(target)} is not a request status.")
    if target == current:
        raise DomainError(f"The request is already {_status_label(current)}.")
    by = mover(actor, automatic=automatic)
    if not may(REQUEST_STATUS_MOVES, current, target, by):
        raise DomainError(_refusal(current, target, by))
    staffing_request.status = target
    record_event(
        actor,
        "request.status_changed",
        staffing_request,
        {"status": [str(current), str(target)]},
    )
