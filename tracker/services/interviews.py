"""Interviews: times inside both working days, asking, confirming, invites, the outcome.

The slots (`free_slots`) are the one source of the times any page offers or accepts: a time is
taken only if it is one of them at the moment it is taken. A slot lies wholly inside the
team's working interval of one of its next working days (the request's hours, see
staffing_requests.effective_hours) and wholly inside one of the engineer's working intervals,
both worked out by timezones.WorkingWindow, so either side's clock change is taken into account
on the very day it happens. Slots start on the half hour of the team's clock.

One side offers up to three slots and the other confirms one: a client (or an account manager
asking for the client) offers, and an account manager or the engineer confirms, or proposes
other times, which the client then confirms. Account managers may act for either side.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from tracker.infra.audit import pending_changes, record_event
from tracker.models import (
    Engineer,
    Interview,
    OutboxEmail,
    Proposal,
    StaffingRequest,
    User,
    db,
    utcnow,
)
from tracker.models.enums import InterviewStatus, ProposalStatus, Role
from tracker.models.interview import AGENCY_SIDE, CLIENT_SIDE, NO_SHOW_PARTIES
from tracker.models.notification import NotificationKind as Kind
from tracker.services import DomainError, ensure_version
from tracker.services.notifications import (
    account_managers_of,
    client_users,
    email_text,
    notify,
    one_line,
)
from tracker.services.placements import lock_engineer
from tracker.services.proposals import move_proposal
from tracker.services.staffing_requests import effective_hours, must_haves
from tracker.services.status_moves import CLIENT, ENGINEER, STAFF, Moves, may, mover
from tracker.services.timezones import ONE_DAY, WorkingWindow, _merged
from tracker.text import day

IS = InterviewStatus
# Every move an interview's status makes, and who may make it; _move_interview makes them.
INTERVIEW_STATUS_MOVES: Moves = {
    (IS.REQUESTED, IS.SCHEDULED): STAFF | CLIENT | ENGINEER,  # confirmed by the other side
    (IS.REQUESTED, IS.CANCELLED): STAFF | CLIENT | ENGINEER,
    (IS.SCHEDULED, IS.CANCELLED): STAFF | CLIENT | ENGINEER,
    (IS.SCHEDULED, IS.COMPLETED): STAFF | CLIENT,  # the client's outcome
    (IS.SCHEDULED, IS.NO_SHOW): STAFF | CLIENT,
}
OPEN = (IS.REQUESTED, IS.SCHEDULED)
# The proposals a client may meet the engineer of.
INTERVIEWABLE = (ProposalStatus.PROPOSED, ProposalStatus.INTERVIEWING)
HORIZON_DAYS = 10  # working days offered, from today
MAX_CHOICES = 3
GRID = timedelta(minutes=30)  # slots start on the half hour of the team's clock
STEP = timedelta(minutes=5)
NO_SHOW_WORDS = {"engineer": "The engineer did not come", "client": "Nobody of the team came"}

Slot = tuple[datetime, datetime]


def minutes() -> int:
    """How long an interview lasts (INTERVIEW_MINUTES)."""
    return int(current_app.config.get("INTERVIEW_MINUTES", 45))


# --- the slots -------------------------------------------------------------------------------


def team_window(proposal: Proposal) -> WorkingWindow:
    """The team's working hours for this proposal's request, Monday to Friday."""
    return effective_hours(proposal.request).window


def engineer_window(engineer: Engineer) -> WorkingWindow:
    """The engineer's working hours, Monday to Friday."""
    return WorkingWindow(engineer.timezone, engineer.workday_start, engineer.workday_end)


def working_days(start: date, days: int, window: WorkingWindow) -> list[date]:
    """The first `days` dates from `start` (included) that are working days of the window."""
    found: list[date] = []
    current = start
    while len(found) < days:
        if current.weekday() in window.weekdays:
            found.append(current)
        current += ONE_DAY
    return found


def common_intervals(team: WorkingWindow, engineer: WorkingWindow, days: list[date]) -> list[Slot]:
    """Where the team's working interval of each day meets the engineer's intervals (UTC)."""
    found: list[Slot] = []
    for d in days:
        mine = team.interval(d)
        if mine is None:
            continue
        theirs = _merged(
            [iv for e in (d - ONE_DAY, d, d + ONE_DAY) if (iv := engineer.interval(e))]
        )
        for begins, ends in theirs:
            lo, hi = max(mine[0], begins), min(mine[1], ends)
            if hi > lo:
                found.append((lo, hi))
    return found


def busy_times(engineer_id: int, begins: datetime, ends: datetime, *, except_id=None) -> list[Slot]:
    """The engineer's scheduled interviews that overlap [begins, ends)."""
    stmt = sa.select(Interview.starts_at, Interview.ends_at).where(
        Interview.engineer_id == engineer_id,
        Interview.status == IS.SCHEDULED,
        Interview.starts_at < ends,
        Interview.ends_at > begins,
    )
    if except_id is not None:
        stmt = stmt.where(Interview.id != except_id)
    return [(s, e) for s, e in db.session.execute(stmt) if s is not None and e is not None]


def _on_grid(instant: datetime, zone: ZoneInfo) -> bool:
    local = instant.astimezone(zone)
    return local.second == 0 and local.minute % (GRID.seconds // 60) == 0


def free_slots(
    proposal: Proposal,
    start: date,
    days: int = HORIZON_DAYS,
    minutes: int = 45,
    *,
    now: datetime | None = None,
    except_interview_id: int | None = None,
) -> list[Slot]:
    """The interview slots of `minutes` over the team's next `days` working days from `start`:
    wholly inside the team's and the engineer's working hours, in the future, not overlapping
    another scheduled interview of the engineer; (starts_at, ends_at) in UTC, sorted, each
    start once."""
    team, engineer = team_window(proposal), engineer_window(proposal.engineer)
    length = timedelta(minutes=minutes)
    now = now or utcnow()
    common = common_intervals(team, engineer, working_days(start, days, team))
    common = [(lo, hi) for lo, hi in common if hi - lo >= length and hi - length > now]
    if not common:
        return []
    busy = busy_times(
        proposal.engineer_id, common[0][0], max(hi for _, hi in common),
        except_id=except_interview_id,
    )  # fmt: skip
    return grid_slots(common, length, team.zone, now, busy)


def grid_slots(
    common: list[Slot], length: timedelta, team_zone: str, now: datetime, busy: list[Slot]
) -> list[Slot]:
    """The slots of `length` inside the common intervals that start after `now` on the team's
    half hours and overlap no busy time; sorted, each start once."""
    zone = ZoneInfo(team_zone)
    slots: set[Slot] = set()
    for lo, hi in common:
        # From the first whole five minutes at or after lo, on the team's half hours.
        t = lo + (-(lo - datetime(2000, 1, 1, tzinfo=UTC))) % STEP
        while t + length <= hi:
            if t > now and _on_grid(t, zone):
                ends = t + length
                if not any(b < ends and t < e for b, e in busy):
                    slots.add((t, ends))
            t += STEP
    return sorted(slots)


def local_today(window: WorkingWindow) -> date:
    """Today's date on the window's clock."""
    return datetime.now(ZoneInfo(window.zone)).date()


def offered_slots(proposal: Proposal, *, except_interview_id: int | None = None) -> list[Slot]:
    """The slots the pages offer for a proposal now: the next HORIZON_DAYS working days."""
    team = team_window(proposal)
    return free_slots(
        proposal,
        local_today(team),
        HORIZON_DAYS,
        minutes(),
        except_interview_id=except_interview_id,
    )


@dataclass(frozen=True)
class SlotDay:
    """The slots of one of the team's days, for a picker grouped by day."""

    day: date
    slots: list[Slot]


def by_team_day(proposal: Proposal, slots: list[Slot]) -> list[SlotDay]:
    """Slots grouped by the team's local date of their start."""
    zone = ZoneInfo(team_window(proposal).zone)
    days: dict[date, list[Slot]] = {}
    for slot in slots:
        days.setdefault(slot[0].astimezone(zone).date(), []).append(slot)
    return [SlotDay(d, s) for d, s in days.items()]


def slot_key(slot: Slot) -> str:
    """A slot as a form value: its start in UTC, ISO 8601 with Z."""
    return slot[0].astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def parse_slot_key(value: str, length_minutes: int) -> Slot | None:
    """The slot a form value names (None when it names no instant)."""
    try:
        begins = datetime.strptime(value.strip(), "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
    except (ValueError, AttributeError):
        return None
    if not 2000 <= begins.year <= 2100:
        return None
    return begins, begins + timedelta(minutes=length_minutes)


def _stored(slot: Slot) -> list[str]:
    return [slot[0].astimezone(UTC).isoformat(), slot[1].astimezone(UTC).isoformat()]


def choices_of(interview: Interview) -> list[Slot]:
    """The slots one side offered, waiting for the other side."""
    return [(datetime.fromisoformat(s), datetime.fromisoformat(e)) for s, e in interview.choices]


def _checked_picks(
    proposal: Proposal, picks: list[Slot], actor: User, *, except_id=None
) -> list[Slot]:
    """The picks if each is a slot offered now (1 to 3 of them), else a DomainError."""
    picks = sorted(set(picks))
    if not picks:
        raise DomainError("Pick at least one time.")
    if len(picks) > MAX_CHOICES:
        raise DomainError(f"Pick at most {MAX_CHOICES} times.")
    offered = set(offered_slots(proposal, except_interview_id=except_id))
    for pick in picks:
        if pick not in offered:
            raise DomainError(_not_offered(pick, zone_of(actor, proposal)))
    return picks


def zone_of(user: User, proposal: Proposal) -> str:
    """The clock a person reads times on: the engineer's own, everyone else the team's."""
    if user.role == Role.ENGINEER:
        return proposal.engineer.timezone
    return team_window(proposal).zone


def _not_offered(slot: Slot, zone: str) -> str:
    if slot[0] <= utcnow():
        return f"{_time_words(slot[0], zone)} is in the past; pick one of the times offered."
    return (
        f"{_time_words(slot[0], zone)} is not free: it is not one of the times offered, or it "
        "was taken in the meantime. Pick another time."
    )


def _time_words(instant: datetime, zone: str) -> str:
    """'Mon 7 Dec 2026 09:30 (America/New_York)'."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a} {day(local.date())} {local:%H:%M} ({zone})"


def meeting_url_problem(url: str) -> str | None:
    """What is wrong with a meeting link, or None: an http(s) address with a host."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:  # e.g. an unclosed or malformed [IPv6] host
        host = None
        parts = urlsplit("")
    if not host or parts.scheme not in ("https", "http"):
        return "Give the meeting link as a web address, e.g. https://meet.example.com/abc-defg."
    if any(c.isspace() for c in url.strip()):
        return "A meeting link has no spaces."
    return None


def _clean_url(url: str | None) -> str | None:
    url = (url or "").strip()
    if not url:
        return None
    if problem := meeting_url_problem(url):
        raise DomainError(problem)
    return url[:500]


# --- who may act ---------------------------------------------------------------------------


def side_of(user: User) -> str:
    """Which side a person is on: the client's, or the agency's (staff and the engineer)."""
    return CLIENT_SIDE if user.role == Role.CLIENT else AGENCY_SIDE


def may_confirm(interview: Interview, user: User) -> bool:
    """Whether the user may confirm one of the offered times: the other side, or staff."""
    if interview.status != IS.REQUESTED:
        return False
    return user.is_staff or side_of(user) != interview.choices_side


def may_propose_other(interview: Interview, user: User) -> bool:
    """Whether the user may answer the offered times with others (whoever may confirm)."""
    return may_confirm(interview, user)


def may_cancel(interview: Interview, user: User) -> bool:
    return interview.status in OPEN


def may_reschedule(interview: Interview, user: User) -> bool:
    """Whether the user may move the interview to another time: staff, while it is scheduled."""
    return user.is_staff and interview.status == IS.SCHEDULED


def may_record(interview: Interview, user: User, now: datetime | None = None) -> bool:
    """Whether the outcome (or a no-show) may be recorded now: the interview has begun."""
    return (
        interview.status == IS.SCHEDULED
        and (user.is_staff or user.role == Role.CLIENT)
        and interview.starts_at is not None
        and interview.starts_at <= (now or utcnow())
    )


def _check_proposal(interview: Interview) -> None:
    """Times are agreed only while the engineer is proposed to the client."""
    status = interview.proposal.status
    if status not in INTERVIEWABLE:
        raise DomainError(f"The proposal is {status} now; this interview can only be cancelled.")


def _move_interview(interview: Interview, target: str, actor: User, **fields) -> None:
    """The one place an interview's status changes, along INTERVIEW_STATUS_MOVES, together with
    the fields the new status needs (the database checks they come together: no query may
    flush one without the other, hence no autoflush while they are set)."""
    by = mover(actor)
    if not may(INTERVIEW_STATUS_MOVES, interview.status, target, by):
        raise DomainError(
            f"An interview that is {interview.status.replace('_', ' ')} cannot become "
            f"{target.replace('_', ' ')}."
        )
    with db.session.no_autoflush:
        for name, value in fields.items():
            setattr(interview, name, value)
        interview.status = target


# --- asking, confirming, changing ------------------------------------------------------------


def open_interview(proposal_id: int) -> Interview | None:
    """The proposal's requested or scheduled interview, if it has one."""
    return db.session.scalar(
        sa.select(Interview).where(Interview.proposal_id == proposal_id, Interview.status.in_(OPEN))
    )


def ask(
    proposal: Proposal, actor: User, picks: list[Slot], *, note: str | None = None
) -> Interview:
    """Ask to meet the proposal's engineer at one of up to three offered slots."""
    if proposal.status not in INTERVIEWABLE:
        raise DomainError(
            f"This proposal is {proposal.status}; interviews are for engineers proposed to the "
            "client."
        )
    if (current := open_interview(proposal.id)) is not None:
        raise DomainError(f"An interview is already {current.status} for this proposal.")
    picks = _checked_picks(proposal, picks, actor)
    interview = Interview(
        proposal=proposal,
        engineer_id=proposal.engineer_id,
        status=IS.REQUESTED,
        choices=[_stored(p) for p in picks],
        choices_side=CLIENT_SIDE,
        requested_by=actor,
        sequence=0,
    )
    db.session.add(interview)
    db.session.flush()  # its id is its link
    record_event(actor, "interview.requested", interview, pending_changes(interview))
    _notify_to_answer(interview, actor, note)
    return interview


def propose_other(
    interview: Interview, actor: User, picks: list[Slot], *, note=None, version=None
) -> None:
    """Answer the offered times with up to three others; the other side confirms one."""
    ensure_version(interview, version, "This interview")
    if not may_propose_other(interview, actor):
        raise DomainError("These times wait for the other side's answer.")
    _check_proposal(interview)
    picks = _checked_picks(interview.proposal, picks, actor)
    interview.choices = [_stored(p) for p in picks]
    interview.choices_side = AGENCY_SIDE if actor.is_staff else side_of(actor)
    record_event(actor, "interview.times_proposed", interview, pending_changes(interview))
    _notify_to_answer(interview, actor, note)


def confirm(
    interview: Interview,
    actor: User,
    pick: Slot,
    *,
    meeting_url: str | None = None,
    version=None,
) -> None:
    """Confirm one of the offered times: the interview is scheduled, the proposal moves to
    interviewing, and every participant gets a calendar invite."""
    ensure_version(interview, version, "This interview")
    lock_engineer(interview.engineer_id)  # a concurrent confirmation waits, then sees ours
    if not may_confirm(interview, actor):
        if interview.status != IS.REQUESTED:
            raise DomainError(f"This interview is already {interview.status.replace('_', ' ')}.")
        raise DomainError("You offered these times; the other side confirms one of them.")
    _check_proposal(interview)
    if pick not in choices_of(interview):
        raise DomainError("Pick one of the times offered for this interview.")
    if pick not in set(offered_slots(interview.proposal)):
        raise DomainError(_not_offered(pick, zone_of(actor, interview.proposal)))
    proposal = interview.proposal
    _move_interview(
        interview,
        IS.SCHEDULED,
        actor,
        starts_at=pick[0],
        ends_at=pick[1],
        meeting_url=_clean_url(meeting_url) or interview.meeting_url,
        confirmed_by=actor,
        confirmed_at=utcnow(),
        choices=[],
    )
    record_event(actor, "interview.scheduled", interview, pending_changes(interview))
    if proposal.status == ProposalStatus.PROPOSED:
        move_proposal(proposal, ProposalStatus.INTERVIEWING, actor, automatic=True)
    _invite(interview, "REQUEST", actor, "Interview confirmed")


def reschedule(
    interview: Interview, actor: User, pick: Slot, *, meeting_url=None, version=None
) -> None:
    """Move a scheduled interview to another offered slot; participants get an update."""
    ensure_version(interview, version, "This interview")
    if not may_reschedule(interview, actor):
        if interview.status != IS.SCHEDULED:
            raise DomainError("Only a scheduled interview can be moved.")
        raise DomainError("Ask your account manager to move the interview, or cancel it.")
    _check_proposal(interview)
    lock_engineer(interview.engineer_id)
    if pick not in set(offered_slots(interview.proposal, except_interview_id=interview.id)):
        raise DomainError(_not_offered(pick, zone_of(actor, interview.proposal)))
    if pick == (interview.starts_at, interview.ends_at):
        raise DomainError("The interview is already at that time.")
    interview.starts_at, interview.ends_at = pick
    if meeting_url is not None:
        interview.meeting_url = _clean_url(meeting_url)
    interview.sequence += 1
    record_event(actor, "interview.rescheduled", interview, pending_changes(interview))
    _invite(interview, "REQUEST", actor, "Interview moved")


def cancel(interview: Interview, actor: User, reason: str | None = None, *, version=None) -> None:
    """Cancel a requested or scheduled interview, recording who did; a scheduled one's
    participants get a cancellation for their calendars."""
    ensure_version(interview, version, "This interview")
    if interview.status not in OPEN:
        raise DomainError(f"This interview is already {interview.status.replace('_', ' ')}.")
    was_scheduled = interview.status == IS.SCHEDULED
    _move_interview(
        interview,
        IS.CANCELLED,
        actor,
        cancelled_by=actor,
        cancelled_at=utcnow(),
        cancel_reason=(reason or "").strip() or None,
        sequence=interview.sequence + (1 if was_scheduled else 0),
    )
    record_event(actor, "interview.cancelled", interview, pending_changes(interview))
    if was_scheduled:
        _invite(interview, "CANCEL", actor, "Interview cancelled")
    else:
        _notify_others(interview, actor, Kind.INTERVIEW_CANCELLED, "Interview request cancelled")


def close_for_proposal(proposal: Proposal, actor: User) -> None:
    """Cancel the proposal's open interview when the proposal is no longer put to the client
    (declined, withdrawn, shortlisted again): its participants get the cancellation."""
    interview = open_interview(proposal.id)
    if interview is not None:
        reason = f"The proposal was {MOVE_WORDS.get(proposal.status, proposal.status)}."
        cancel(interview, actor, reason)


MOVE_WORDS = {"shortlisted": "taken back to the shortlist"}


def record_outcome(
    interview: Interview,
    actor: User,
    *,
    skill_ratings: dict[str, int],
    overall: int,
    would_continue: bool,
    note: str | None = None,
    version=None,
) -> None:
    """The client's outcome of a held interview; continuing accepts the proposal."""
    ensure_version(interview, version, "This interview")
    _check_held(interview, actor)
    wanted = [n.skill.name for n in must_haves(interview.proposal.request)]
    if set(skill_ratings) != set(wanted):
        raise DomainError("Rate each must-have skill from 1 to 5.")
    ratings = [overall, *skill_ratings.values()]
    if any(not isinstance(r, int) or not 1 <= r <= 5 for r in ratings):
        raise DomainError("Ratings run from 1 to 5.")
    _move_interview(
        interview,
        IS.COMPLETED,
        actor,
        skill_ratings={name: skill_ratings[name] for name in wanted},
        overall_rating=overall,
        would_continue=would_continue,
        outcome_note=(note or "").strip() or None,
        outcome_by=actor,
        outcome_at=utcnow(),
    )
    record_event(actor, "interview.completed", interview, pending_changes(interview))
    proposal = interview.proposal
    if would_continue and proposal.status in INTERVIEWABLE:
        move_proposal(proposal, ProposalStatus.ACCEPTED, actor)


def record_no_show(interview: Interview, actor: User, party: str, *, version=None) -> None:
    """Record that one side did not come."""
    ensure_version(interview, version, "This interview")
    if party not in NO_SHOW_PARTIES:
        raise DomainError("Say who did not come.")
    _check_held(interview, actor)
    _move_interview(interview, IS.NO_SHOW, actor, no_show_party=party)
    record_event(actor, "interview.no_show", interview, pending_changes(interview))


def _check_held(interview: Interview, actor: User) -> None:
    if interview.status != IS.SCHEDULED:
        raise DomainError(f"This interview is {interview.status.replace('_', ' ')}.")
    if not may_record(interview, actor):
        if actor.role == Role.ENGINEER:
            raise DomainError("The client records how the interview went.")
        assert interview.starts_at is not None
        when = _time_words(interview.starts_at, zone_of(actor, interview.proposal))
        raise DomainError(
            f"The interview has not taken place yet; record how it went after it starts ({when})."
        )


# --- participants, notices and invites --------------------------------------------------------


ENGINEER_SIDE, CLIENT_PEOPLE, STAFF_SIDE = "engineer", "client", "staff"
SIDES = (ENGINEER_SIDE, CLIENT_PEOPLE, STAFF_SIDE)


@dataclass(frozen=True)
class Participant:
    name: str
    email: str
    user: User | None
    side: str  # ENGINEER_SIDE, CLIENT_PEOPLE or STAFF_SIDE


def participants(interview: Interview) -> list[Participant]:
    """Who meets: the engineer, the client's people (whoever asked, or else the company's
    portal users), the client's account manager and the staff who acted; each address once."""
    proposal = interview.proposal
    client = proposal.request.client
    engineer = proposal.engineer
    account = db.session.scalar(sa.select(User).where(User.engineer_id == engineer.id))
    # The engineer at their account's address (where their notices go), else the roster's.
    address = account.email if account is not None else engineer.email
    people = [Participant(engineer.full_name, address, account, ENGINEER_SIDE)]
    asker = interview.requested_by
    if asker is not None and asker.role == Role.CLIENT and asker.is_active:
        people.append(Participant(asker.name, asker.email, asker, CLIENT_PEOPLE))
    else:
        people += [Participant(u.name, u.email, u, CLIENT_PEOPLE) for u in client_users(client)]
    staff = [client.account_manager]
    staff += [interview.requested_by, interview.confirmed_by]
    people += [
        Participant(u.name, u.email, u, STAFF_SIDE)
        for u in staff
        if u is not None and u.is_staff and u.is_active
    ]
    seen: set[str] = set()
    unique = []
    for p in people:
        if p.email.lower() not in seen:
            seen.add(p.email.lower())
            unique.append(p)
    return unique


def link_for(interview: Interview, user: User | None) -> str:
    """The interview's page for this person."""
    if user is None or user.is_staff:
        return f"/interviews/{interview.id}"
    if user.role == Role.CLIENT:
        return f"/portal/interviews/{interview.id}"
    return f"/me/interviews/{interview.id}"


def uid(interview: Interview) -> str:
    """The interview's iCalendar UID: a UUID made with the row, the same for every update and
    cancellation, whatever the ids or the sender address of another installation."""
    return f"{interview.uid}@engagement-tracker"


def engineer_name(interview: Interview, side: str = STAFF_SIDE) -> str:
    """The engineer as this side reads them: a client sees the name clients see before a
    placement (first name, initial), never the full name."""
    engineer = interview.proposal.engineer
    return engineer.client_safe_name if side == CLIENT_PEOPLE else engineer.full_name


def title(interview: Interview, side: str = STAFF_SIDE) -> str:
    client = interview.proposal.request.client.name
    return f"Interview: {engineer_name(interview, side)} × {client}"


def actor_name(actor: User, interview: Interview, side: str) -> str:
    """Who did something, as this side reads it (a client never sees the engineer's name)."""
    if actor.role == Role.ENGINEER:
        return engineer_name(interview, side)
    return actor.name


def side_of_user(user: User | None) -> str:
    if user is None or user.is_staff:
        return STAFF_SIDE
    return CLIENT_PEOPLE if user.role == Role.CLIENT else ENGINEER_SIDE


def calendar(interview: Interview, method: str = "REQUEST", side: str = STAFF_SIDE) -> str:
    """The interview as an iCalendar (RFC 5545) text for one side: METHOD REQUEST or CANCEL
    (by e-mail) or PUBLISH (the download), UTC times. Each side's copy lists its own people
    and the agency's: a client's copy has no address of the engineer, and the other way
    round; the agency brokers the meeting and the meeting link is how they meet."""
    assert interview.starts_at is not None
    assert interview.ends_at is not None
    proposal = interview.proposal
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Engagement Tracker//Interviews//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    event = icalendar.Event()
    event.add("uid", uid(interview))
    event.add("sequence", interview.sequence)
    event.add("dtstamp", utcnow().replace(microsecond=0))
    event.add("dtstart", interview.starts_at.astimezone(UTC))
    event.add("dtend", interview.ends_at.astimezone(UTC))
    event.add("summary", title(interview, side))
    description = (
        f"{engineer_name(interview, side)} meets {proposal.request.client.name} about "
        f"“{proposal.request.title}”."
    )
    if interview.meeting_url:
        description += f"\nJoin: {interview.meeting_url}"
        event.add("location", interview.meeting_url)
        event.add("url", interview.meeting_url)
    event.add("description", description)
    cancelled = method == "CANCEL" or interview.status == IS.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    sender = str(current_app.config.get("MAIL_DEFAULT_SENDER", "tracker@localhost"))
    organizer = icalendar.vCalAddress(f"mailto:{sender.rpartition('<')[2].strip('> ')}")
    organizer.params["cn"] = icalendar.vText("Engagement Tracker")
    event.add("organizer", organizer)
    for person in participants(interview):
        if STAFF_SIDE not in (side, person.side) and person.side != side:
            continue
        attendee = icalendar.vCalAddress(f"mailto:{person.email}")
        attendee.params["cn"] = icalendar.vText(person.name)
        attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = icalendar.vText("NEEDS-ACTION")
        # Answers would reach the tracker's sender, which reads none: changes go through the
        # interview's page.
        attendee.params["rsvp"] = icalendar.vText("FALSE")
        event.add("attendee", attendee, encode=False)
    cal.add_component(event)
    return cal.to_ical().decode()


def _when_words(interview: Interview, zone: str) -> str:
    assert interview.starts_at is not None
    assert interview.ends_at is not None
    tz = ZoneInfo(zone)
    begins, ends = interview.starts_at.astimezone(tz), interview.ends_at.astimezone(tz)
    return f"{day(begins.date())}, {begins:%H:%M}–{ends:%H:%M} ({zone})"


def _zone_for(interview: Interview, person: Participant) -> str:
    if person.side == ENGINEER_SIDE:
        return interview.proposal.engineer.timezone
    return team_window(interview.proposal).zone


def _invite(interview: Interview, method: str, actor: User, subject: str) -> None:
    """An e-mail with the invite (or its cancellation) to every participant, each in their
    side's words and on their clock, and a notice in the app to those with an account other
    than the actor."""
    texts = {side: calendar(interview, method, side) for side in SIDES}
    base_url = current_app.config.get("APP_BASE_URL", "").rstrip("/")
    cancelled = method == "CANCEL"
    kind = Kind.INTERVIEW_CANCELLED if cancelled else Kind.INTERVIEW_SCHEDULED
    for person in participants(interview):
        side = person.side
        when = _when_words(interview, _zone_for(interview, person))
        heading = title(interview, side)
        if cancelled:
            who = actor_name(actor, interview, side)
            body = f"The interview {heading[11:]} on {when} is cancelled by {who}."
            if interview.cancel_reason:
                body += f" Reason: {interview.cancel_reason}"
        else:
            body = f"{heading} on {when}."
            if interview.meeting_url:
                body += f" Join: {interview.meeting_url}"
            body += " The calendar invite is attached."
        link = link_for(interview, person.user)
        db.session.add(
            OutboxEmail(
                to_address=person.email,
                to_name=one_line(person.name, 120),
                subject=one_line(f"{subject}: {heading}", 250),
                body_text=email_text(person, body, link, base_url),
                calendar=texts[side],
            )
        )
        if person.user is not None and person.user.id != actor.id:
            notify(
                [person.user],
                kind=kind,
                title=f"{subject}: {heading}",
                body=body,
                link=link,
                email=False,  # the e-mail above carries the invite
            )


def _notify_to_answer(interview: Interview, actor: User, note: str | None) -> None:
    """Tell the side that answers that times are waiting."""
    proposal = interview.proposal
    client = proposal.request.client
    if interview.choices_side == CLIENT_SIDE:
        audience = list(account_managers_of(client))
        account = db.session.scalar(sa.select(User).where(User.engineer_id == proposal.engineer_id))
        if account is not None:
            audience.append(account)
        heading = f"{client.name} asks to meet {proposal.engineer.full_name}"
    else:
        asker = interview.requested_by
        if asker is not None and asker.role == Role.CLIENT:
            audience = [asker]
        else:
            audience = client_users(client)
        heading = f"Other times to meet {proposal.engineer.client_safe_name}"
    for user in audience:
        if user.id == actor.id:
            continue
        who = actor_name(actor, interview, side_of_user(user))
        body = (
            f"{who} offers {len(interview.choices)} time(s) to meet about "
            f"“{proposal.request.title}”. Confirm one, or propose others."
        )
        if note:
            body += f" Note: {note.strip()}"
        notify(
            [user],
            kind=Kind.INTERVIEW_REQUESTED,
            title=heading,
            body=body,
            link=link_for(interview, user),
            key=f"interview:{interview.id}:{interview.version_id}:{len(interview.choices)}:{user.id}"[
                :200
            ],
        )


def _notify_others(interview: Interview, actor: User, kind: str, heading: str) -> None:
    for person in participants(interview):
        if person.user is not None and person.user.id != actor.id:
            who = actor_name(actor, interview, person.side)
            body = f"{who} cancelled the request to meet."
            if interview.cancel_reason:
                body += f" Reason: {interview.cancel_reason}"
            notify(
                [person.user],
                kind=kind,
                title=f"{heading}: {title(interview, person.side)}",
                body=body,
                link=link_for(interview, person.user),
            )


# --- reading -------------------------------------------------------------------------------


def _loaded() -> sa.Select:
    return sa.select(Interview).options(
        selectinload(Interview.proposal)
        .selectinload(Proposal.request)
        .selectinload(StaffingRequest.client),
        selectinload(Interview.proposal)
        .selectinload(Proposal.request)
        .selectinload(StaffingRequest.skills),
        selectinload(Interview.engineer),
        selectinload(Interview.requested_by),
        selectinload(Interview.confirmed_by),
        selectinload(Interview.cancelled_by),
        selectinload(Interview.outcome_by),
    )


def _listed() -> sa.Select:
    """What a list of interviews shows: the proposal's request and client, the engineer."""
    return sa.select(Interview).options(
        selectinload(Interview.proposal)
        .selectinload(Proposal.request)
        .selectinload(StaffingRequest.client),
        selectinload(Interview.engineer),
    )


def get(interview_id: int) -> Interview | None:
    """An interview with what its page shows."""
    return db.session.scalar(_loaded().where(Interview.id == interview_id))


def for_client(client_id: int, interview_id: int) -> Interview | None:
    """The interview if it is about one of the client company's requests."""
    return db.session.scalar(
        _loaded()
        .join(Interview.proposal)
        .join(Proposal.request)
        .where(Interview.id == interview_id, StaffingRequest.client_id == client_id)
    )


def for_engineer(engineer_id: int, interview_id: int) -> Interview | None:
    """The interview if it is the engineer's."""
    return db.session.scalar(
        _loaded().where(Interview.id == interview_id, Interview.engineer_id == engineer_id)
    )


def of_proposal(proposal_id: int, limit: int = 20) -> list[Interview]:
    """A proposal's interviews, newest first."""
    return list(
        db.session.scalars(
            _listed()
            .where(Interview.proposal_id == proposal_id)
            .order_by(Interview.created_at.desc(), Interview.id.desc())
            .limit(limit)
        )
    )


def listing(*, engineer_id=None, client_id=None, status: str | None = None) -> sa.Select:
    """Interviews, the open ones first (soonest first), then the rest (newest first)."""
    stmt = _listed()
    if client_id is not None:
        stmt = (
            stmt.join(Interview.proposal)
            .join(Proposal.request)
            .where(StaffingRequest.client_id == client_id)
        )
    if engineer_id is not None:
        stmt = stmt.where(Interview.engineer_id == engineer_id)
    if status:
        stmt = stmt.where(Interview.status == status)
    is_open = sa.case((Interview.status.in_(OPEN), 0), else_=1)
    return stmt.order_by(
        is_open,
        sa.case((Interview.status.in_(OPEN), Interview.starts_at), else_=None).asc().nulls_first(),
        Interview.created_at.desc(),
        Interview.id.desc(),
    )


def local(instant: datetime, zone: str) -> datetime:
    """An instant on a zone's clock."""
    return instant.astimezone(ZoneInfo(zone))
