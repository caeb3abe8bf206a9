"""Interviews: asking in the portal, confirming as staff or engineer, invites, outcome, refusals."""

import threading
from datetime import UTC, datetime, time, timedelta
from email import message_from_string

import icalendar
import pytest
import sqlalchemy as sa
import time_machine

from tests.conftest import ON_POSTGRES
from tracker.extensions import db
from tracker.infra.mailer import build_message
from tracker.models import Interview, Notification, OutboxEmail, Proposal, User
from tracker.services import DomainError, interviews, transaction
from tracker.services.interviews import offered_slots, slot_key

# Wednesday 10 March 2027, 12:00 UTC: New York is on UTC−5 until Sunday 14 March.
NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def team(make, clock):
    """A New York team (9–17) with a proposed São Paulo engineer (9–18) who has an account."""
    am = make.user(role="account_manager", name="Alice Manager", email="alice@agency.example")
    company = make.client(name="Acme", account_manager=am, timezone="America/New_York")
    client_user = make.user(
        role="client", client=company, name="Carl Client", email="carl@acme.example"
    )
    req = make.request(
        client=company, title="LLM platform", skills={"Python": (4, True), "PyTorch": (3, False)}
    )
    engineer = make.engineer(
        full_name="Bruna Lima", email="bruna@dev.example", skills={"Python": 5, "PyTorch": 4}
    )
    engineer_user = make.user(role="engineer", engineer=engineer, email="bruna.account@dev.example")
    proposal = make.proposal(request=req, engineer=engineer, status="proposed", proposed_at=NOW)
    return dict(
        am=am, company=company, client_user=client_user, request=req, engineer=engineer,
        engineer_user=engineer_user, proposal=proposal,
    )  # fmt: skip


def _slots(proposal):
    return offered_slots(db.session.get(Proposal, proposal.id))


def _ask_in_portal(client, auth, team, picks):
    auth.login(team["client_user"].email)
    return client.post(
        f"/portal/proposals/{team['proposal'].id}/interview",
        data={"slots": [slot_key(p) for p in picks], "note": "Looking forward"},
    )


def _interview() -> Interview:
    return db.session.scalars(sa.select(Interview)).one()


def _outbox() -> list[OutboxEmail]:
    """The e-mails that carry an invite."""
    return list(
        db.session.scalars(
            sa.select(OutboxEmail).where(OutboxEmail.calendar.is_not(None)).order_by(OutboxEmail.id)
        )
    )


# --- the slots offered ---------------------------------------------------------------------


def test_the_portal_offers_the_slots_on_the_teams_clock_and_staff_see_both(client, auth, team):
    slots = _slots(team["proposal"])
    assert slots[0][0] > NOW
    auth.login(team["client_user"].email)
    page = client.get(f"/portal/proposals/{team['proposal'].id}/interview")
    assert page.status_code == 200
    first = slots[0]
    # 10 Mar 2027 14:00 UTC is 09:00 in New York (UTC−5), 11:00 in São Paulo.
    assert slot_key(first) in page.text
    assert "America/New_York" in page.text
    assert "09:00–09:45" in page.text
    assert "America/Sao_Paulo" not in page.text.split("ask-form")[1]
    auth.logout()
    auth.login(team["am"].email)
    staff = client.get(f"/interviews/new/{team['proposal'].id}")
    assert staff.status_code == 200
    assert "09:00–09:45" in staff.text
    assert "11:00–11:45" in staff.text


def test_every_offered_slot_is_in_the_future_inside_both_days_and_on_the_half_hour(team):
    slots = _slots(team["proposal"])
    assert slots == sorted(set(slots))
    from zoneinfo import ZoneInfo

    ny, sp = ZoneInfo("America/New_York"), ZoneInfo("America/Sao_Paulo")
    for begins, ends in slots:
        assert begins > NOW
        assert ends - begins == timedelta(minutes=45)
        a, b = begins.astimezone(ny), ends.astimezone(ny)
        assert a.weekday() < 5
        assert time(9) <= a.time()
        assert b.time() <= time(17)
        c, d = begins.astimezone(sp), ends.astimezone(sp)
        assert c.weekday() < 5
        assert time(9) <= c.time()
        assert d.time() <= time(18)
        assert a.minute in (0, 30)
    # Ten working days: Wednesday 10 March to Tuesday 23 March.
    days = {b.astimezone(ny).date() for b, _ in slots}
    assert min(days).isoformat() == "2027-03-10"
    assert max(days).isoformat() == "2027-03-23"
    assert len(days) == 10


# --- the loop: ask, confirm, invite ------------------------------------------------------------


def test_a_client_asks_the_account_manager_confirms_and_everyone_gets_an_invite(client, auth, team):
    picks = _slots(team["proposal"])[4:6]
    response = _ask_in_portal(client, auth, team, picks)
    assert response.status_code == 302
    interview = _interview()
    assert response.headers["Location"] == f"/portal/interviews/{interview.id}"
    assert interview.status == "requested"
    assert interview.choices_side == "client"
    assert len(interview.choices) == 2
    told = db.session.scalars(
        sa.select(Notification.user_id).where(Notification.kind == "interview_requested")
    ).all()
    assert set(told) == {team["am"].id, team["engineer_user"].id}

    auth.logout()
    auth.login(team["am"].email)
    page = client.get(f"/interviews/{interview.id}")
    assert page.status_code == 200
    assert "Confirm this time" in page.text
    response = client.post(
        f"/interviews/{interview.id}/confirm",
        data={
            "slot": slot_key(picks[1]),
            "meeting_url": "https://meet.example.com/abc-defg",
            "version_id": interview.version_id,
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    interview = _interview()
    assert interview.status == "scheduled"
    assert (interview.starts_at, interview.ends_at) == picks[1]
    assert interview.confirmed_by_id == team["am"].id
    assert db.session.get(Proposal, team["proposal"].id).status == "interviewing"

    mails = _outbox()
    assert {m.to_address for m in mails} == {
        "bruna.account@dev.example", "carl@acme.example", "alice@agency.example",
    }  # fmt: skip
    uids = set()
    for mail in mails:
        cal = icalendar.Calendar.from_ical(mail.calendar)
        assert cal["METHOD"] == "REQUEST"
        event = cal.walk("VEVENT")[0]
        assert event.decoded("DTSTART") == picks[1][0]
        assert event.decoded("DTEND") == picks[1][1]
        assert "Z" in event["DTSTART"].to_ical().decode()  # UTC times
        assert int(event["SEQUENCE"]) == 0
        assert str(event["LOCATION"]) == "https://meet.example.com/abc-defg"
        attendees = {str(a).removeprefix("mailto:") for a in event["ATTENDEE"]}
        assert mail.to_address in attendees
        uids.add(str(event["UID"]))
        message = build_message(mail, {"MAIL_DEFAULT_SENDER": "tracker@agency.example"})
        assert message.get_content_type() == "multipart/mixed"
        parts = {p.get_content_type(): p for p in message.walk()}
        assert parts["text/calendar"].get_param("method") == "REQUEST"
        assert "application/ics" in parts
        message_from_string(message.as_string())  # a well-formed message
    assert len(uids) == 1
    # Each reads the time on their own clock: 10:00 São Paulo is 08:00 in New York.
    engineer_mail = next(m for m in mails if m.to_address.startswith("bruna"))
    client_mail = next(m for m in mails if m.to_address.startswith("carl"))
    assert "America/Sao_Paulo" in engineer_mail.body_text
    assert "America/New_York" in client_mail.body_text


def test_moving_and_cancelling_send_updates_with_the_same_uid_and_a_higher_sequence(
    client, auth, team
):
    slots = _slots(team["proposal"])
    with transaction():
        interview = interviews.ask(team["proposal"], team["client_user"], [slots[0]])
    with transaction():
        interviews.confirm(interview, team["am"], slots[0])
    first_uid = icalendar.Calendar.from_ical(_outbox()[0].calendar).walk("VEVENT")[0]["UID"]

    auth.login(team["am"].email)
    response = client.post(
        f"/interviews/{interview.id}/reschedule",
        data={"slot": slot_key(slots[3]), "version_id": interview.version_id},
    )
    assert response.status_code == 302
    db.session.expire_all()
    updated = [m for m in _outbox() if m.subject.startswith("Interview moved")]
    assert len(updated) == 3
    event = icalendar.Calendar.from_ical(updated[0].calendar).walk("VEVENT")[0]
    assert int(event["SEQUENCE"]) == 1
    assert event["UID"] == first_uid
    assert event.decoded("DTSTART") == slots[3][0]

    interview = _interview()
    response = client.post(
        f"/interviews/{interview.id}/cancel",
        data={"reason": "The team lead is ill", "version_id": interview.version_id},
    )
    assert response.status_code == 302
    db.session.expire_all()
    cancelled = [m for m in _outbox() if m.subject.startswith("Interview cancelled")]
    assert len(cancelled) == 3
    cal = icalendar.Calendar.from_ical(cancelled[0].calendar)
    assert cal["METHOD"] == "CANCEL"
    event = cal.walk("VEVENT")[0]
    assert int(event["SEQUENCE"]) == 2
    assert event["UID"] == first_uid
    interview = _interview()
    assert interview.status == "cancelled"
    assert interview.cancelled_by_id == team["am"].id
    assert interview.cancel_reason == "The team lead is ill"
    # The .ics to download publishes the event, cancelled, under the same UID.
    ics = client.get(f"/interviews/{interview.id}/invite.ics")
    assert ics.status_code == 200
    assert ics.headers["Content-Type"] == "text/calendar; charset=utf-8; method=PUBLISH"
    published = icalendar.Calendar.from_ical(ics.text)
    assert published["METHOD"] == "PUBLISH"
    assert published.walk("VEVENT")[0]["STATUS"] == "CANCELLED"
    assert published.walk("VEVENT")[0]["UID"] == first_uid


def test_the_engineer_confirms_in_me_and_sees_times_on_their_clock(client, auth, team):
    slots = _slots(team["proposal"])
    with transaction():
        interview = interviews.ask(team["proposal"], team["client_user"], slots[:3])
    auth.login(team["engineer_user"].email)
    listing = client.get("/me/interviews/")
    assert listing.status_code == 200
    assert "Acme" in listing.text
    page = client.get(f"/me/interviews/{interview.id}")
    assert page.status_code == 200
    assert "America/Sao_Paulo" in page.text
    assert "America/New_York" not in page.text
    assert "11:00–11:45" in page.text  # 09:00 in New York
    response = client.post(
        f"/me/interviews/{interview.id}/confirm",
        data={"slot": slot_key(slots[2]), "version_id": interview.version_id},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert _interview().status == "scheduled"
    assert _interview().confirmed_by_id == team["engineer_user"].id
    ics = client.get(f"/me/interviews/{interview.id}/invite.ics")
    assert ics.status_code == 200
    assert "METHOD:PUBLISH" in ics.text
    assert "STATUS:CONFIRMED" in ics.text


def test_other_times_proposed_by_the_agency_are_confirmed_by_the_client(client, auth, team):
    slots = _slots(team["proposal"])
    with transaction():
        interview = interviews.ask(team["proposal"], team["client_user"], [slots[0]])
    auth.login(team["engineer_user"].email)
    response = client.post(
        f"/me/interviews/{interview.id}/propose",
        data={
            "slots": [slot_key(slots[5]), slot_key(slots[6])],
            "version_id": interview.version_id,
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    interview = _interview()
    assert interview.choices_side == "agency"
    assert len(interview.choices) == 2
    # The engineer offered them: they may not confirm their own times.
    refused = client.post(
        f"/me/interviews/{interview.id}/confirm",
        data={"slot": slot_key(slots[5]), "version_id": interview.version_id},
    )
    assert refused.status_code == 409
    assert "the other side confirms" in refused.text
    assert _interview().status == "requested"
    auth.logout()
    auth.login(team["client_user"].email)
    response = client.post(
        f"/portal/interviews/{interview.id}/confirm",
        data={"slot": slot_key(slots[6]), "version_id": interview.version_id},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert _interview().status == "scheduled"
    assert _interview().starts_at == slots[6][0]


# --- the outcome -----------------------------------------------------------------------------


def _scheduled(team, slot):
    with transaction():
        interview = interviews.ask(team["proposal"], team["client_user"], [slot])
    with transaction():
        interviews.confirm(interview, team["am"], slot)
    return interview


def test_an_outcome_before_the_interview_is_refused(client, auth, team):
    interview = _scheduled(team, _slots(team["proposal"])[0])
    auth.login(team["client_user"].email)
    page = client.get(f"/portal/interviews/{interview.id}")
    assert "How did it go?" not in page.text
    response = client.post(
        f"/portal/interviews/{interview.id}/outcome",
        data={
            "skill_0": "4",
            "overall": "4",
            "would_continue": "yes",
            "version_id": interview.version_id,
        },
    )
    assert response.status_code == 409
    assert "has not taken place yet" in response.text
    db.session.expire_all()
    assert _interview().status == "scheduled"
    assert db.session.get(Proposal, team["proposal"].id).status == "interviewing"


def test_the_client_records_the_outcome_and_continuing_accepts_the_proposal(
    client, auth, team, clock
):
    slot = _slots(team["proposal"])[0]
    interview = _scheduled(team, slot)
    clock.move_to(slot[1] + timedelta(minutes=5))
    auth.login(team["client_user"].email)
    page = client.get(f"/portal/interviews/{interview.id}")
    assert "How did it go?" in page.text
    assert "Python" in page.text
    assert "PyTorch" not in page.text.split("How did it go?")[1]
    # Nothing is preselected: an empty form is refused with a message per rating.
    empty = client.post(
        f"/portal/interviews/{interview.id}/outcome", data={"version_id": interview.version_id}
    )
    assert empty.status_code == 400
    assert "Rate Python from 1 to 5." in empty.text
    assert "Rate the interview from 1 to 5." in empty.text
    response = client.post(
        f"/portal/interviews/{interview.id}/outcome",
        data={
            "skill_0": "5", "overall": "4", "would_continue": "yes", "note": "Strong on evals",
            "version_id": interview.version_id,
        },
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    interview = _interview()
    assert interview.status == "completed"
    assert interview.skill_ratings == {"Python": 5}
    assert interview.overall_rating == 4
    assert interview.would_continue is True
    assert db.session.get(Proposal, team["proposal"].id).status == "accepted"
    page = client.get(f"/portal/interviews/{interview.id}")
    assert "Strong on evals" in page.text
    proposal_page = client.get(f"/portal/proposals/{team['proposal'].id}")
    assert "Completed" in proposal_page.text


def test_a_no_show_is_recorded_with_who_did_not_come(client, auth, team, clock):
    slot = _slots(team["proposal"])[0]
    interview = _scheduled(team, slot)
    clock.move_to(slot[0] + timedelta(minutes=20))
    auth.login(team["am"].email)
    response = client.post(
        f"/interviews/{interview.id}/no-show",
        data={"party": "engineer", "version_id": interview.version_id},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert _interview().status == "no_show"
    assert _interview().no_show_party == "engineer"
    assert db.session.get(Proposal, team["proposal"].id).status == "interviewing"


def test_the_engineer_cannot_record_the_outcome(client, auth, team, clock):
    slot = _slots(team["proposal"])[0]
    interview = _scheduled(team, slot)
    clock.move_to(slot[1] + timedelta(minutes=5))
    auth.login(team["engineer_user"].email)
    response = client.post(f"/me/interviews/{interview.id}/outcome", data={})
    assert response.status_code in (404, 405)
    with pytest.raises(DomainError, match="The client records"):
        interviews.record_outcome(
            interview, team["engineer_user"], skill_ratings={"Python": 4}, overall=4,
            would_continue=True,
        )  # fmt: skip


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("forge", "message"),
    [
        (lambda s: [s[0][0] + timedelta(minutes=10)], "is not free"),  # off the grid
        (lambda s: [s[0][0] - timedelta(hours=14)], "is in the past"),  # last night
        (lambda s: [s[0][0] + timedelta(days=3, hours=12)], "is not free"),  # a Saturday night
        (lambda s: [x[0] for x in s[:4]], "Pick at most 3 times."),
        (lambda s: [], "Pick at least one time."),
    ],
)
def test_forged_past_and_too_many_slots_are_refused_and_nothing_is_saved(
    client, auth, team, forge, message
):
    starts = forge(_slots(team["proposal"]))
    auth.login(team["client_user"].email)
    response = client.post(
        f"/portal/proposals/{team['proposal'].id}/interview",
        data={"slots": [s.strftime("%Y-%m-%dT%H:%MZ") for s in starts]},
    )
    assert response.status_code == 400
    assert message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Interview)) == 0


def test_garbage_slot_values_are_refused_with_a_message(client, auth, team):
    auth.login(team["client_user"].email)
    for value in ("tomorrow", "2027-13-01T10:00Z", "9999-01-01T10:00Z", "\x00"):
        response = client.post(
            f"/portal/proposals/{team['proposal'].id}/interview", data={"slots": [value]}
        )
        assert response.status_code == 400, value
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Interview)) == 0


def _second_team(make, team):
    """Another company asking to meet the same engineer."""
    other = make.client(name="Globex", timezone="America/New_York")
    other_user = make.user(role="client", client=other, email="gina@globex.example")
    req = make.request(client=other, skills={"Python": (3, True)})
    proposal = make.proposal(
        request=req, engineer=team["engineer"], status="proposed", proposed_at=NOW
    )
    return other_user, proposal


def test_a_slot_taken_in_the_meantime_is_refused_and_no_longer_offered(client, auth, make, team):
    slot = _slots(team["proposal"])[2]
    other_user, other_proposal = _second_team(make, team)
    with transaction():
        mine = interviews.ask(team["proposal"], team["client_user"], [slot])
    with transaction():
        theirs = interviews.ask(other_proposal, other_user, [slot])
    with transaction():
        interviews.confirm(theirs, team["am"], slot)
    assert slot not in _slots(team["proposal"])
    auth.login(team["am"].email)
    page = client.get(f"/interviews/{mine.id}")
    assert "no longer free" in page.text
    response = client.post(
        f"/interviews/{mine.id}/confirm",
        data={"slot": slot_key(slot), "version_id": mine.version_id},
    )
    assert response.status_code == 409
    assert "taken in the meantime" in response.text
    db.session.expire_all()
    assert db.session.get(Interview, mine.id).status == "requested"


def test_two_confirming_the_same_engineers_time_at_once_one_wins(app, make, team):
    slot = _slots(team["proposal"])[1]
    other_user, other_proposal = _second_team(make, team)
    with transaction():
        ids = [
            interviews.ask(team["proposal"], team["client_user"], [slot]).id,
            interviews.ask(other_proposal, other_user, [slot]).id,
        ]
    am_id = team["am"].id
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(i, interview_id):
        with app.app_context(), time_machine.travel(NOW, tick=False):
            try:
                interview = db.session.get(Interview, interview_id)
                actor = db.session.get(User, am_id)
                barrier.wait(timeout=10)
                with transaction():
                    interviews.confirm(interview, actor, slot)
                results[i] = "saved"
            except DomainError as e:
                results[i] = str(e)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, x)) for i, x in enumerate(ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results.count("saved") == 1, results
    loser = next(r for r in results if r != "saved")
    assert "taken" in loser
    scheduled = db.session.scalar(
        sa.select(sa.func.count()).select_from(Interview).where(Interview.status == "scheduled")
    )
    assert scheduled == 1


def test_the_database_refuses_overlapping_scheduled_interviews_of_one_engineer(make, team):
    """Whatever code writes them: raw rows past the services."""
    _, other_proposal = _second_team(make, team)
    begins = datetime(2027, 3, 15, 14, 0, tzinfo=UTC)
    first = Interview(
        proposal=team["proposal"], engineer_id=team["engineer"].id, status="scheduled",
        starts_at=begins, ends_at=begins + timedelta(minutes=45), choices=[],
    )  # fmt: skip
    db.session.add(first)
    db.session.commit()
    clash = Interview(
        proposal=other_proposal, engineer_id=team["engineer"].id, status="scheduled",
        starts_at=begins + timedelta(minutes=30), ends_at=begins + timedelta(minutes=75),
        choices=[],
    )  # fmt: skip
    db.session.add(clash)
    with pytest.raises(sa.exc.IntegrityError, match="interview_no_double_booking"):
        db.session.commit()
    db.session.rollback()
    # Back to back is fine, and so is a cancelled one at the same time.
    db.session.add(
        Interview(
            proposal=other_proposal, engineer_id=team["engineer"].id, status="scheduled",
            starts_at=begins + timedelta(minutes=45), ends_at=begins + timedelta(minutes=90),
            choices=[],
        )
    )  # fmt: skip
    db.session.commit()
    # Moving a cancelled one onto a taken time by UPDATE is refused too.
    first.status = "cancelled"
    first.cancelled_at = NOW
    db.session.commit()
    db.session.execute(
        sa.update(Interview)
        .where(Interview.id == first.id)
        .values(status="requested", cancelled_at=None)
    )
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError, match="interview_no_double_booking"):
        db.session.execute(
            sa.update(Interview)
            .where(Interview.id == first.id)
            .values(
                status="scheduled",
                starts_at=begins + timedelta(minutes=60),
                ends_at=begins + timedelta(minutes=105),
            )
        )
    db.session.rollback()


def test_an_interviews_engineer_is_its_proposals_engineer(make, team):
    stranger = make.engineer()
    db.session.add(
        Interview(
            proposal=team["proposal"], engineer_id=stranger.id, status="requested", choices=[]
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_client_acting_on_another_companys_proposal_or_interview_gets_404(
    client, auth, make, team
):
    other_user, other_proposal = _second_team(make, team)
    slot = _slots(team["proposal"])[0]
    with transaction():
        interview = interviews.ask(team["proposal"], team["client_user"], [slot])
    auth.login(other_user.email)
    assert client.get(f"/portal/proposals/{team['proposal'].id}/interview").status_code == 404
    assert (
        client.post(
            f"/portal/proposals/{team['proposal'].id}/interview", data={"slots": [slot_key(slot)]}
        ).status_code
        == 404
    )
    for path in ("", "/invite.ics"):
        assert client.get(f"/portal/interviews/{interview.id}{path}").status_code == 404
    for action in ("confirm", "propose", "cancel", "outcome", "no-show"):
        response = client.post(
            f"/portal/interviews/{interview.id}/{action}",
            data={"slot": slot_key(slot), "version_id": interview.version_id},
        )
        assert response.status_code == 404, action
    db.session.expire_all()
    assert _interview().status == "requested"


def test_another_engineer_gets_404_and_clients_and_engineers_get_no_staff_pages(
    client, auth, make, team
):
    slot = _slots(team["proposal"])[0]
    with transaction():
        interview = interviews.ask(team["proposal"], team["client_user"], [slot])
    auth.login_as("engineer")
    assert client.get(f"/me/interviews/{interview.id}").status_code == 404
    assert (
        client.post(
            f"/me/interviews/{interview.id}/confirm", data={"slot": slot_key(slot)}
        ).status_code
        == 404
    )
    auth.logout()
    auth.login(team["client_user"].email)
    assert client.get(f"/interviews/{interview.id}").status_code == 403
    assert client.get("/interviews/").status_code == 403


def test_only_proposed_engineers_can_be_interviewed_and_only_once_at_a_time(
    client, auth, make, team
):
    slot = _slots(team["proposal"])[0]
    shortlisted = make.proposal(request=team["request"], status="shortlisted")
    with pytest.raises(DomainError, match="shortlisted"):
        interviews.ask(shortlisted, team["am"], [slot])
    with transaction():
        interviews.ask(team["proposal"], team["client_user"], [slot])
    with pytest.raises(DomainError, match="already requested"):
        interviews.ask(team["proposal"], team["am"], [slot])
    # The ask page of a proposal with an open interview leads to it.
    auth.login(team["client_user"].email)
    response = client.get(f"/portal/proposals/{team['proposal'].id}/interview")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/portal/interviews/{_interview().id}"


def test_a_stale_confirmation_is_refused(client, auth, team):
    slots = _slots(team["proposal"])
    with transaction():
        interview = interviews.ask(team["proposal"], team["client_user"], slots[:2])
    old_version = interview.version_id
    with transaction():
        interviews.propose_other(interview, team["am"], [slots[4]])
    auth.login(team["client_user"].email)
    response = client.post(
        f"/portal/interviews/{interview.id}/confirm",
        data={"slot": slot_key(slots[0]), "version_id": old_version},
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.text
    db.session.expire_all()
    assert _interview().status == "requested"


def test_a_meeting_link_must_be_a_web_address(client, auth, team):
    slots = _slots(team["proposal"])
    with transaction():
        interview = interviews.ask(team["proposal"], team["client_user"], slots[:1])
    auth.login(team["am"].email)
    response = client.post(
        f"/interviews/{interview.id}/confirm",
        data={
            "slot": slot_key(slots[0]), "meeting_url": "javascript:alert(1)",
            "version_id": interview.version_id,
        },
    )  # fmt: skip
    assert response.status_code == 400
    assert "web address" in response.text
    db.session.expire_all()
    assert _interview().status == "requested"


@pytest.mark.skipif(not ON_POSTGRES, reason="the PostgreSQL exclusion constraint's own message")
def test_on_postgres_the_guard_is_an_exclusion_constraint(app):
    found = db.session.scalar(
        sa.text("SELECT conname FROM pg_constraint WHERE conname = 'interview_no_double_booking'")
    )
    assert found == "interview_no_double_booking"


# --- what each side reads ----------------------------------------------------------------------


def test_the_clients_invite_and_pages_never_show_the_engineers_full_name_or_address(
    client, auth, team
):
    slots = _slots(team["proposal"])
    with transaction():
        interview = interviews.ask(team["proposal"], team["client_user"], [slots[0]])
    with transaction():
        interviews.propose_other(interview, team["engineer_user"], [slots[2]])
    told = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == team["client_user"].id)
    ).all()
    assert told
    assert all("Bruna Lima" not in n.title + n.body for n in told)
    assert any("Bruna L." in n.body for n in told)
    with transaction():
        interviews.confirm(interview, team["client_user"], slots[2])
    mails = {m.to_address: m for m in _outbox()}
    to_client = mails["carl@acme.example"]
    for text in (to_client.subject, to_client.body_text, to_client.calendar):
        assert "Bruna Lima" not in text
        assert "bruna" not in text.lower().replace("bruna l.", "")
    event = icalendar.Calendar.from_ical(to_client.calendar).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Interview: Bruna L. × Acme"
    attendees = {str(a).removeprefix("mailto:") for a in event["ATTENDEE"]}
    assert attendees == {"carl@acme.example", "alice@agency.example"}
    to_engineer = mails["bruna.account@dev.example"]
    attendees = icalendar.Calendar.from_ical(to_engineer.calendar).walk("VEVENT")[0]["ATTENDEE"]
    assert {str(a).removeprefix("mailto:") for a in attendees} == {
        "bruna.account@dev.example", "alice@agency.example",
    }  # fmt: skip
    staff_copy = mails["alice@agency.example"]
    assert "Bruna Lima" in staff_copy.subject
    # The portal's page and its .ics say "Bruna L.", who cancelled included.
    with transaction():
        interviews.cancel(interview, team["engineer_user"], "Unwell")
    auth.login(team["client_user"].email)
    page = client.get(f"/portal/interviews/{interview.id}")
    assert "Bruna Lima" not in page.text
    assert "by Bruna L." in page.text
    ics = client.get(f"/portal/interviews/{interview.id}/invite.ics")
    assert "bruna" not in ics.text.lower().replace("bruna l.", "")


def test_declining_the_proposal_cancels_its_interview_and_tells_everyone(client, auth, team):
    slot = _slots(team["proposal"])[0]
    interview = _scheduled(team, slot)
    auth.login(team["client_user"].email)
    response = client.post(
        f"/portal/proposals/{team['proposal'].id}/decline", data={"reason": "rate"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    interview = _interview()
    assert interview.status == "cancelled"
    assert interview.cancelled_by_id == team["client_user"].id
    assert interview.cancel_reason == "The proposal was declined."
    cancellations = [m for m in _outbox() if m.subject.startswith("Interview cancelled")]
    assert {m.to_address for m in cancellations} == {
        "bruna.account@dev.example", "carl@acme.example", "alice@agency.example",
    }  # fmt: skip
    assert all("METHOD:CANCEL" in m.calendar for m in cancellations)


def test_a_requested_interview_of_a_withdrawn_proposal_cannot_be_confirmed(team):
    slot = _slots(team["proposal"])[0]
    with transaction():
        interview = interviews.ask(team["proposal"], team["client_user"], [slot])
    proposal = db.session.get(Proposal, team["proposal"].id)
    proposal.status = "withdrawn"  # as if withdrawn by a path that left the interview open
    db.session.commit()
    with pytest.raises(DomainError, match="The proposal is withdrawn now"):
        interviews.confirm(interview, team["am"], slot)
    db.session.rollback()


def test_two_open_interviews_of_one_proposal_are_refused_by_the_database(team):
    """Two people asking at once both pass the service's check; the index keeps one."""
    for status in ("requested", "scheduled"):
        db.session.add(
            Interview(
                proposal_id=team["proposal"].id, engineer_id=team["engineer"].id,
                status="requested", choices=[],
            )
        )  # fmt: skip
        db.session.flush()
        db.session.add(
            Interview(
                proposal_id=team["proposal"].id, engineer_id=team["engineer"].id, status=status,
                choices=[], starts_at=NOW + timedelta(days=3),
                ends_at=NOW + timedelta(days=3, minutes=45),
            )
        )  # fmt: skip
        with pytest.raises(DomainError, match="at the same moment"), transaction():
            db.session.flush()
    # Closed ones do not count.
    db.session.add_all(
        Interview(
            proposal_id=team["proposal"].id, engineer_id=team["engineer"].id,
            status="cancelled", cancelled_at=NOW, choices=[],
        )
        for _ in range(2)
    )  # fmt: skip
    db.session.commit()


@pytest.mark.parametrize(
    "link", ["https://[x]/", "http://[::1", "ftp://meet.example.com/x", "https://meet x.com/"]
)
def test_a_malformed_meeting_link_is_a_message_not_an_error(client, auth, team, link):
    slots = _slots(team["proposal"])
    with transaction():
        interview = interviews.ask(team["proposal"], team["client_user"], slots[:1])
    auth.login(team["am"].email)
    response = client.post(
        f"/interviews/{interview.id}/confirm",
        data={"slot": slot_key(slots[0]), "meeting_url": link, "version_id": interview.version_id},
    )
    assert response.status_code == 400
    assert "meeting link" in response.text.lower()
    db.session.expire_all()
    assert _interview().status == "requested"
