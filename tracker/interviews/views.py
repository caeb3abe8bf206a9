"""The interview pages' handlers, shared by the three areas that show them.

Staff (/interviews/), the portal (/portal/interviews/) and /me (/me/interviews/) each find
the interview their own way (the portal and /me scoped in SQL: someone else's is a 404) and
call these: one page, one set of forms, one set of messages. Each area sees times on its own
clock: the client on the team's, the engineer on theirs, staff on both.
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from tracker.forms import add_error
from tracker.infra.audit import timeline
from tracker.interviews.forms import (
    CancelForm,
    ConfirmForm,
    NoShowForm,
    RescheduleForm,
    SlotsForm,
    outcome_form,
)
from tracker.models import Interview, Proposal
from tracker.services import DomainError, interviews, transaction
from tracker.services.interviews import Slot
from tracker.services.staffing_requests import must_haves
from tracker.text import day


@dataclass(frozen=True)
class Area:
    """Where the pages are shown: 'staff', 'portal' or 'me'."""

    name: str
    blueprint: str
    prefix: str  # the endpoints' prefix inside the blueprint

    def endpoint(self, action: str) -> str:
        return f"{self.blueprint}.{self.prefix}{action}"

    def url(self, action: str, **values) -> str:
        return url_for(self.endpoint(action), **values)

    @property
    def is_staff(self) -> bool:
        return self.name == "staff"


STAFF = Area("staff", "interviews", "")
PORTAL = Area("portal", "portal", "interview_")
ME = Area("me", "me", "interview_")


# --- how times read ------------------------------------------------------------------------


def zones_for(area: Area, proposal: Proposal) -> list[str]:
    """The clocks an area reads times on, its own first."""
    team = interviews.team_window(proposal).zone
    engineer = proposal.engineer.timezone
    if area is PORTAL:
        return [team]
    if area is ME:
        return [engineer]
    return [team] if team == engineer else [team, engineer]


def clock(start: datetime, end: datetime, zone: str, beside: str | None = None) -> str:
    """'09:00–09:45' on the zone's clock; read beside another zone's time, with the weekday
    when the date on this clock is another ('22:00–22:45 Tue')."""
    tz = ZoneInfo(zone)
    a, b = start.astimezone(tz), end.astimezone(tz)
    text = f"{a:%H:%M}–{b:%H:%M}"
    if beside is not None and a.date() != start.astimezone(ZoneInfo(beside)).date():
        text += f" {a:%a}"
    return text


def when(start: datetime | None, end: datetime | None, zone: str) -> str:
    """'Mon 15 Mar 2027, 09:00–09:45' on the zone's clock."""
    if start is None or end is None:
        return "—"
    local = start.astimezone(ZoneInfo(zone))
    return f"{local:%a} {day(local.date())}, {clock(start, end, zone)}"


@dataclass(frozen=True)
class SlotDay:
    day: date
    slots: list[Slot]


def by_day(slots: list[Slot], zone: str) -> list[SlotDay]:
    """Slots grouped by their local date on the zone's clock."""
    tz = ZoneInfo(zone)
    days: dict[date, list[Slot]] = {}
    for slot in slots:
        days.setdefault(slot[0].astimezone(tz).date(), []).append(slot)
    return [SlotDay(d, s) for d, s in days.items()]


def _picks(keys: list[str]) -> list[Slot] | None:
    length = interviews.minutes()
    picks = [interviews.parse_slot_key(k, length) for k in keys]
    if any(p is None for p in picks):
        return None
    return [p for p in picks if p is not None]


def _helpers(area: Area, proposal: Proposal) -> dict:
    return dict(
        area=area,
        zones=zones_for(area, proposal),
        clock=clock,
        when=when,
        slot_key=interviews.slot_key,
        by_day=by_day,
        minutes=interviews.minutes(),
        max_choices=interviews.MAX_CHOICES,
        person_name=person_name,
    )


# --- asking ---------------------------------------------------------------------------------


def ask_page(area: Area, proposal: Proposal, *, back: str):
    """Pick up to three times to meet the engineer; the other side confirms one."""
    current = interviews.open_interview(proposal.id)
    if current is not None:
        flash(f"An interview is already {current.status} for this proposal.", "info")
        return redirect(area.url("detail", interview_id=current.id))
    form = SlotsForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            picks = _picks(form.slots.data or [])
            if picks is None:
                add_error(form.slots, "Pick times from the list offered.")
            else:
                try:
                    with transaction():
                        interview = interviews.ask(
                            proposal, current_user, picks, note=form.note.data
                        )
                    flash(_asked_words(area, len(picks)), "success")
                    return redirect(area.url("detail", interview_id=interview.id))
                except DomainError as e:
                    add_error(form.slots, str(e))
        status = 400
    return render_template(
        "interviews/ask.html",
        proposal=proposal,
        form=form,
        slots=interviews.offered_slots(proposal),
        chosen=set(form.slots.data or []),
        back=back,
        interviewable=proposal.status in interviews.INTERVIEWABLE,
        **_helpers(area, proposal),
    ), status


def _asked_words(area: Area, count: int) -> str:
    times = "one time" if count == 1 else f"{count} times"
    if area is PORTAL:
        return f"You offered {times}. We confirm one with the engineer and send you an invite."
    return f"You offered {times}; the other side confirms one."


# --- the interview page --------------------------------------------------------------------


def detail_page(area: Area, interview: Interview, status: int = 200, **forms):
    """The interview: its time on the area's clocks, and what the signed-in person may do."""
    proposal = interview.proposal
    user = current_user
    can_confirm = interviews.may_confirm(interview, user)
    can_record = interviews.may_record(interview, user)
    can_reschedule = interviews.may_reschedule(interview, user)
    skills = [n.skill.name for n in must_haves(proposal.request)]
    version = {"version_id": interview.version_id}
    choices = interviews.choices_of(interview) if interview.status == "requested" else []
    offered: list[Slot] = []
    if can_confirm or can_reschedule:
        offered = interviews.offered_slots(
            proposal,
            except_interview_id=interview.id if interview.status == "scheduled" else None,
        )
    free = set(offered)
    return render_template(
        "interviews/detail.html",
        interview=interview,
        proposal=proposal,
        choices=choices,
        taken={c for c in choices if c not in free},
        offered=offered,
        can_confirm=can_confirm,
        can_cancel=interviews.may_cancel(interview, user),
        can_reschedule=can_reschedule,
        can_record=can_record,
        confirm_form=forms.get("confirm_form") or ConfirmForm(formdata=None, data=version),
        propose_form=forms.get("propose_form") or SlotsForm(formdata=None, data=version),
        reschedule_form=forms.get("reschedule_form")
        or RescheduleForm(formdata=None, data=version | {"meeting_url": interview.meeting_url}),
        cancel_form=forms.get("cancel_form") or CancelForm(formdata=None, data=version),
        outcome_form=forms.get("outcome_form") or outcome_form(skills, formdata=None, data=version),
        no_show_form=forms.get("no_show_form") or NoShowForm(formdata=None, data=version),
        events=timeline(interview) if area.is_staff else [],
        no_show_words=interviews.NO_SHOW_WORDS,
        **_helpers(area, proposal),
    ), status


def _done(area: Area, interview: Interview, message: str):
    flash(message, "success")
    return redirect(area.url("detail", interview_id=interview.id))


def _refused(area: Area, interview: Interview, error: DomainError, **forms):
    flash(str(error), "danger")
    fresh = _reload(interview)
    return detail_page(area, fresh, 409, **forms)


def _reload(interview: Interview) -> Interview:
    return interviews.get(interview.id) or interview


def _at_a_slot(area: Area, interview: Interview, form, action, message: str, form_name: str):
    """Confirm or move the interview to the slot the form names (with a meeting link)."""
    if not form.validate():
        return detail_page(area, interview, 400, **{form_name: form})
    pick = interviews.parse_slot_key(form.slot.data or "", interviews.minutes())
    try:
        if pick is None:
            raise DomainError("Pick one of the times offered.")
        with transaction():
            action(
                interview,
                current_user,
                pick,
                meeting_url=form.meeting_url.data,
                version=form.version_id.data,
            )
    except DomainError as e:
        return _refused(area, interview, e)
    return _done(area, interview, message)


def confirm(area: Area, interview: Interview):
    message = "Confirmed. Everyone gets a calendar invite by e-mail."
    return _at_a_slot(area, interview, ConfirmForm(), interviews.confirm, message, "confirm_form")


def propose(area: Area, interview: Interview):
    form = SlotsForm()
    if not form.validate():
        return detail_page(area, interview, 400, propose_form=form)
    picks = _picks(form.slots.data or [])
    try:
        if picks is None:
            raise DomainError("Pick times from the list offered.")
        with transaction():
            interviews.propose_other(
                interview, current_user, picks, note=form.note.data, version=form.version_id.data
            )
    except DomainError as e:
        return _refused(area, interview, e)
    return _done(area, interview, "Sent. The other side confirms one of your times.")


def reschedule(area: Area, interview: Interview):
    message = "Moved. Everyone gets the updated invite by e-mail."
    form = RescheduleForm()
    return _at_a_slot(area, interview, form, interviews.reschedule, message, "reschedule_form")


def cancel(area: Area, interview: Interview):
    form = CancelForm()
    if not form.validate():
        return detail_page(area, interview, 400, cancel_form=form)
    try:
        with transaction():
            interviews.cancel(
                interview, current_user, form.reason.data, version=form.version_id.data
            )
    except DomainError as e:
        return _refused(area, interview, e)
    return _done(area, interview, "Cancelled. Everyone is told.")


def outcome(area: Area, interview: Interview):
    skills = [n.skill.name for n in must_haves(interview.proposal.request)]
    form = outcome_form(skills)
    if not form.validate():
        return detail_page(area, interview, 400, outcome_form=form)
    accepted = form.would_continue.data == "yes"
    try:
        with transaction():
            interviews.record_outcome(
                interview,
                current_user,
                skill_ratings=form.skill_ratings(),
                overall=form.overall.data,
                would_continue=accepted,
                note=form.note.data,
                version=form.version_id.data,
            )
    except DomainError as e:
        return _refused(area, interview, e, outcome_form=form)
    fresh = _reload(interview)
    if accepted and fresh.proposal.status == "accepted":
        return _done(
            area, fresh, "Recorded, and the proposal is accepted: the start is arranged next."
        )
    if not accepted and fresh.proposal.status in interviews.INTERVIEWABLE:
        return _done(
            area,
            fresh,
            "Recorded. The proposal stays open: decline it on its page, with the reason, when "
            "you have decided.",
        )
    return _done(area, fresh, "Recorded. Thank you.")


def no_show(area: Area, interview: Interview):
    form = NoShowForm()
    if not form.validate():
        return detail_page(area, interview, 400, no_show_form=form)
    try:
        with transaction():
            interviews.record_no_show(
                interview, current_user, form.party.data, version=form.version_id.data
            )
    except DomainError as e:
        return _refused(area, interview, e)
    return _done(area, interview, "Recorded as a no-show.")


def invite(area: Area, interview: Interview) -> Response:
    """The interview's .ics to add to a calendar (METHOD:PUBLISH; STATUS:CANCELLED once
    cancelled), in the area's words: the same UID as the e-mailed invites."""
    if interview.starts_at is None:
        abort(404)
    text = interviews.calendar(interview, "PUBLISH", SIDE_OF_AREA[area.name])
    return Response(
        text,
        content_type="text/calendar; charset=utf-8; method=PUBLISH",
        headers={"Content-Disposition": f'attachment; filename="interview-{interview.id}.ics"'},
    )


SIDE_OF_AREA = {
    "staff": interviews.STAFF_SIDE,
    "portal": interviews.CLIENT_PEOPLE,
    "me": interviews.ENGINEER_SIDE,
}


def person_name(area: Area, interview: Interview, user) -> str:
    """Who did something, as the area reads it: the portal never names the engineer in full."""
    if user is None:
        return "someone"
    return interviews.actor_name(user, interview, SIDE_OF_AREA[area.name])
