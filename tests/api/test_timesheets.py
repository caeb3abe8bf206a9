"""/api/v1/timesheets: weeks entered, submitted, approved and rejected through the same services
as /me/, the staff pages and the portal; every refusal with nothing written."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tracker.api.timesheets import HOURS_PATTERN
from tracker.models import AuditEvent, Timesheet, TimesheetEntry, db
from tracker.services import DomainError, timesheets, transaction
from tracker.services.timesheets import EntryInput, week_of

WEEK = week_of(date.today()) - timedelta(days=14)  # a whole week in the past, of the placement


@pytest.fixture
def world(make):
    """A placement (started 30 days ago), its engineer's account and a user of its client."""
    placement = make.placement(start=date.today() - timedelta(days=30))
    engineer_user = make.user(role="engineer", engineer=placement.engineer)
    client_user = make.user(role="client", client=placement.client)
    return placement, engineer_user, client_user


def week_body(*hours: str, week: date = WEEK, note: str | None = None) -> dict:
    return {
        "week_start": week.isoformat(),
        "entries": [
            {"work_date": (week + timedelta(days=k)).isoformat(), "hours": h, "note": note}
            for k, h in enumerate(hours)
        ],
    }


def put(api, path: str, json, headers=None):
    return api._client.put(path, json=json, headers=api.headers(headers))


def count(model=Timesheet) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def saved_week(placement, user, status="draft", hours="8") -> Timesheet:
    """A week entered through the service, submitted when asked."""
    with transaction():
        sheet = timesheets.save_week(
            placement,
            WEEK,
            [EntryInput(WEEK + timedelta(days=k), Decimal(hours)) for k in range(5)],
            user,
            today=date.today(),
        )
    if status != "draft":
        with transaction():
            timesheets.submit(sheet, user, today=date.today())
    return sheet


# ---------------------------------------------------------------------------- entering


def test_an_engineer_enters_a_week_then_rewrites_it(api, world):
    placement, engineer_user, _ = world
    api.as_user(engineer_user)

    created = put(api, f"/api/v1/placements/{placement.id}/timesheets", week_body("8", "7.5"))

    assert created.status_code == 201, created.json
    body = created.json
    assert created.headers["ETag"] == f'"{body["version"]}"'
    assert created.headers["Location"] == f"/api/v1/timesheets/{body['id']}"
    assert (body["placement_id"], body["client_id"], body["engineer_id"]) == (
        placement.id,
        placement.client_id,
        placement.engineer_id,
    )
    assert body["status"] == "draft"
    assert body["total_hours"] == "15.50"
    assert [(e["work_date"], e["hours"]) for e in body["entries"]] == [
        (WEEK.isoformat(), "8.00"),
        ((WEEK + timedelta(days=1)).isoformat(), "7.50"),
    ]

    again = put(
        api,
        f"/api/v1/placements/{placement.id}/timesheets",
        week_body("6", note="  standup   and review "),
        headers={"If-Match": created.headers["ETag"]},
    )
    assert again.status_code == 200, again.json
    assert again.json["id"] == body["id"]
    assert again.json["total_hours"] == "6.00"
    assert again.json["entries"][0]["note"] == "standup and review"

    one = api.get(created.headers["Location"])
    assert one.status_code == 200
    assert one.headers["ETag"] == f'"{one.json["version"]}"'
    assert len(one.json["entries"]) == 1
    assert count() == 1


def test_staff_enter_a_week_on_the_engineers_behalf_with_an_idempotent_post(api, world):
    placement, _, _ = world
    api.as_role("account_manager")
    path = f"/api/v1/placements/{placement.id}/timesheets"
    headers = {"Idempotency-Key": "week-1"}

    first = api.post(path, json=week_body("8", "8"), headers=headers)
    retry = api.post(path, json=week_body("8", "8"), headers=headers)

    assert first.status_code == 201, first.json
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert count() == 1
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "timesheet.saved"))
    assert event.changes["on_behalf_of"] == [None, placement.engineer.full_name]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (week_body("7.3"), "entries"),  # not a quarter hour
        (week_body("25"), "entries"),
        (week_body("0"), "entries"),
        (week_body("-1"), "entries"),
        (week_body("abc"), "entries"),
        ({"week_start": WEEK.isoformat()}, "entries"),
        ({"week_start": "2026-13-01", "entries": []}, "week_start"),
        ({"week_start": WEEK.isoformat(), "entries": [{"work_date": WEEK.isoformat()}]}, "entries"),
        (week_body(*["8"] * 8), "entries"),  # eight days in a week
        (week_body("8", note="x" * 501), "entries"),
        (week_body("8", "8", week=WEEK + timedelta(days=1)), "week_start"),  # not a Monday
        (week_body("8", week=WEEK + timedelta(days=700)), "week_start"),  # not started yet
        (week_body("8", week=WEEK - timedelta(days=700)), "week_start"),  # before the placement
        (week_body("24", "24", "24"), "entries"),  # 72 hours: over the weekly cap
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_nothing_is_written(api, world, body, field):
    placement, engineer_user, _ = world
    api.as_user(engineer_user)

    response = put(api, f"/api/v1/placements/{placement.id}/timesheets", body)

    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"]
    assert count() == 0


def test_a_day_outside_the_week_is_refused_with_the_services_message(api, world):
    placement, engineer_user, _ = world
    api.as_user(engineer_user)
    body = week_body("8")
    body["entries"][0]["work_date"] = (WEEK + timedelta(days=7)).isoformat()

    response = put(api, f"/api/v1/placements/{placement.id}/timesheets", body)

    assert response.status_code == 422
    assert "is not in the week of" in response.json["errors"]["entries"][0]
    assert count() == 0


def test_the_hours_pattern_says_exactly_what_the_service_accepts(world, app):
    placement, engineer_user, _ = world
    candidates = [f"{q / 4:g}" for q in range(-2, 102)] + ["7.50", "24.00", "0.5", "7.10", "7.333"]
    for text in candidates:
        try:
            with transaction():
                timesheets.save_week(
                    placement,
                    WEEK,
                    [EntryInput(WEEK, Decimal(text))],
                    engineer_user,
                    today=date.today(),
                )
            accepted = True
        except DomainError:
            accepted = False
        assert bool(re.fullmatch(HOURS_PATTERN, text)) == accepted, text


def test_who_may_enter_a_week(api, make, world):
    placement, _, client_user = world
    other_engineer = make.user(role="engineer")
    path = f"/api/v1/placements/{placement.id}/timesheets"

    api.as_user(client_user)
    assert put(api, path, week_body("8")).status_code == 403
    api.as_role("client")  # another company's
    assert put(api, path, week_body("8")).status_code == 404
    api.as_user(other_engineer)
    assert put(api, path, week_body("8")).status_code == 404
    assert api.post(path, json=week_body("8")).status_code == 404
    assert put(api, "/api/v1/placements/999999/timesheets", week_body("8")).status_code == 404
    assert count() == 0


def test_a_stale_if_match_is_a_412(api, world):
    placement, engineer_user, _ = world
    sheet = saved_week(placement, engineer_user)
    api.as_user(engineer_user)

    response = put(
        api,
        f"/api/v1/placements/{placement.id}/timesheets",
        week_body("1"),
        headers={"If-Match": f'"{sheet.version_id + 5}"'},
    )

    assert response.status_code == 412
    assert db.session.get(Timesheet, sheet.id).total_hours == Decimal(40)


# ------------------------------------------------------------------------------ submitting


def test_submit_then_editing_or_submitting_again_is_a_conflict(api, world):
    placement, engineer_user, _ = world
    sheet = saved_week(placement, engineer_user)
    api.as_user(engineer_user)

    submitted = api.post(f"/api/v1/timesheets/{sheet.id}/submit")
    assert submitted.status_code == 200, submitted.json
    assert submitted.json["status"] == "submitted"
    assert submitted.json["submitted_at"] is not None

    again = api.post(f"/api/v1/timesheets/{sheet.id}/submit")
    assert again.status_code == 409
    assert "already submitted" in again.json["detail"]
    edit = put(api, f"/api/v1/placements/{placement.id}/timesheets", week_body("1"))
    assert edit.status_code == 409
    assert db.session.get(Timesheet, sheet.id).total_hours == Decimal(40)


def test_who_may_submit(api, make, world):
    placement, engineer_user, client_user = world
    sheet = saved_week(placement, engineer_user)

    api.as_user(client_user)
    assert api.post(f"/api/v1/timesheets/{sheet.id}/submit").status_code == 403
    api.as_user(make.user(role="engineer"))
    assert api.post(f"/api/v1/timesheets/{sheet.id}/submit").status_code == 404
    api.as_role("account_manager")
    assert api.post(f"/api/v1/timesheets/{sheet.id}/submit").status_code == 200
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "timesheet.submitted")
    )
    assert "on_behalf_of" in event.changes


# ------------------------------------------------------------------------------- answering


def test_a_client_approves_once_the_second_time_is_a_conflict(api, world):
    placement, engineer_user, client_user = world
    sheet = saved_week(placement, engineer_user, "submitted")
    api.as_user(client_user)

    approved = api.post(f"/api/v1/timesheets/{sheet.id}/approve", json={})
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved"
    assert approved.headers["ETag"] == f'"{approved.json["version"]}"'

    again = api.post(f"/api/v1/timesheets/{sheet.id}/approve", json={})
    assert again.status_code == 409
    assert "already approved" in again.json["detail"]
    assert (
        api.post(f"/api/v1/timesheets/{sheet.id}/reject", json={"reason": "x"}).status_code == 409
    )

    api.as_user(engineer_user)
    edit = put(api, f"/api/v1/placements/{placement.id}/timesheets", week_body("1"))
    assert edit.status_code == 409
    assert "approved and locked" in edit.json["detail"]


def test_a_draft_cannot_be_answered(api, world):
    placement, engineer_user, client_user = world
    sheet = saved_week(placement, engineer_user)
    api.as_user(client_user)

    response = api.post(f"/api/v1/timesheets/{sheet.id}/approve", json={})

    assert response.status_code == 409
    assert db.session.get(Timesheet, sheet.id).status == "draft"


def test_who_may_answer(api, make, world):
    placement, engineer_user, _ = world
    sheet = saved_week(placement, engineer_user, "submitted")

    api.as_user(engineer_user)
    assert api.post(f"/api/v1/timesheets/{sheet.id}/approve", json={}).status_code == 403
    assert (
        api.post(f"/api/v1/timesheets/{sheet.id}/reject", json={"reason": "x"}).status_code == 403
    )
    api.as_role("client")  # a user of another company
    assert api.post(f"/api/v1/timesheets/{sheet.id}/approve", json={}).status_code == 404
    assert (
        api.post(f"/api/v1/timesheets/{sheet.id}/reject", json={"reason": "x"}).status_code == 404
    )
    assert api.get(f"/api/v1/timesheets/{sheet.id}").status_code == 404
    assert db.session.get(Timesheet, sheet.id).status == "submitted"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": None}])
def test_a_rejection_needs_a_reason(api, world, body):
    placement, engineer_user, client_user = world
    sheet = saved_week(placement, engineer_user, "submitted")
    api.as_user(client_user)

    response = api.post(f"/api/v1/timesheets/{sheet.id}/reject", json=body)

    assert response.status_code == 422
    assert "reason" in response.json["errors"]
    assert db.session.get(Timesheet, sheet.id).status == "submitted"


def test_a_rejected_week_is_corrected_and_becomes_a_draft_again(api, world):
    placement, engineer_user, client_user = world
    sheet = saved_week(placement, engineer_user, "submitted")
    api.as_user(client_user)

    rejected = api.post(
        f"/api/v1/timesheets/{sheet.id}/reject", json={"reason": "Friday was a holiday."}
    )
    assert rejected.status_code == 200
    assert rejected.json["status"] == "rejected"
    assert rejected.json["decision_note"] == "Friday was a holiday."

    api.as_user(engineer_user)
    fixed = put(api, f"/api/v1/placements/{placement.id}/timesheets", week_body("8", "8"))
    assert fixed.status_code == 200
    assert fixed.json["status"] == "draft"


def test_staff_approve_on_the_clients_behalf_only_with_a_note(api, world):
    placement, engineer_user, _ = world
    sheet = saved_week(placement, engineer_user, "submitted")
    api.as_role("account_manager")

    without = api.post(f"/api/v1/timesheets/{sheet.id}/approve", json={})
    assert without.status_code == 422
    assert "note" in without.json["errors"]
    assert db.session.get(Timesheet, sheet.id).status == "submitted"

    note = "Confirmed by Jane on the phone."
    approved = api.post(f"/api/v1/timesheets/{sheet.id}/approve", json={"note": note})
    assert approved.status_code == 200
    assert approved.json["decision_note"] == note
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "timesheet.approved")
    )
    assert event.changes["on_behalf_of"] == [None, placement.client.name]


def test_an_approval_raced_by_another_is_a_conflict_and_approves_once(api, world, monkeypatch):
    """Someone else approves between our check and our write: our write finds the version
    moved on, and nothing is approved twice."""
    placement, engineer_user, client_user = world
    sheet = saved_week(placement, engineer_user, "submitted")
    api.as_user(client_user)
    seen = sheet.version_id
    real = timesheets.not_waiting

    def raced(timesheet):
        reason = real(timesheet)
        if reason is None:
            with db.engine.begin() as other:  # another connection: another request's approval
                other.execute(
                    sa.update(Timesheet.__table__)
                    .where(Timesheet.__table__.c.id == timesheet.id)
                    .values(status="approved", version_id=timesheet.version_id + 1)
                )
            monkeypatch.setattr(timesheets, "not_waiting", real)
        return reason

    monkeypatch.setattr(timesheets, "not_waiting", raced)
    response = api.post(f"/api/v1/timesheets/{sheet.id}/approve", json={})

    assert response.status_code == 409, response.json
    assert "at the same moment" in response.json["detail"]
    db.session.expire_all()
    stored = db.session.get(Timesheet, sheet.id)
    assert (stored.status, stored.version_id) == ("approved", seen + 1)  # the other's only
    approvals = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "timesheet.approved")
    )
    assert approvals == 0  # ours was rolled back; the other one wrote no event of ours


# ----------------------------------------------------------------------------------- lists


def test_each_role_lists_what_its_pages_show(api, make, world):
    placement, engineer_user, client_user = world
    draft = saved_week(placement, engineer_user)
    other = make.placement(start=date.today() - timedelta(days=30))
    other_user = make.user(role="engineer", engineer=other.engineer)
    theirs = saved_week(other, other_user, "submitted")

    api.as_role("account_manager")
    assert {t["id"] for t in api.get("/api/v1/timesheets").json["data"]} == {draft.id, theirs.id}
    api.as_user(engineer_user)
    assert [t["id"] for t in api.get("/api/v1/timesheets").json["data"]] == [draft.id]
    assert api.get(f"/api/v1/timesheets/{theirs.id}").status_code == 404
    api.as_user(client_user)
    assert api.get("/api/v1/timesheets").json["data"] == []  # a draft is not sent to it yet
    with transaction():
        timesheets.submit(draft, engineer_user, today=date.today())
    listed = api.get("/api/v1/timesheets").json["data"]
    assert [t["id"] for t in listed] == [draft.id]
    assert listed[0]["entries"]


def test_the_list_filters_and_pages(api, make, world):
    placement, engineer_user, _ = world
    first = saved_week(placement, engineer_user, "submitted")
    with transaction():
        older = timesheets.save_week(
            placement,
            WEEK - timedelta(days=7),
            [EntryInput(WEEK - timedelta(days=7), Decimal(4))],
            engineer_user,
            today=date.today(),
        )
    api.as_role("account_manager")

    def ids(query: str) -> list[int]:
        response = api.get(f"/api/v1/timesheets{query}")
        assert response.status_code == 200, response.json
        return [t["id"] for t in response.json["data"]]

    assert ids("") == [first.id, older.id]  # newest week first
    assert ids("?sort=week") == [older.id, first.id]
    assert ids(f"?placement_id={placement.id}") == [first.id, older.id]
    assert ids("?placement_id=999999") == []
    assert ids(f"?week_start={(WEEK + timedelta(days=2)).isoformat()}") == [first.id]
    assert ids("?status=draft") == [older.id]
    assert ids(f"?engineer_id={placement.engineer_id}&client_id={placement.client_id}") == [
        first.id,
        older.id,
    ]
    page = api.get("/api/v1/timesheets?limit=1").json
    assert [t["id"] for t in page["data"]] == [first.id]
    assert [t["id"] for t in api.get(page["next"]).json["data"]] == [older.id]
    assert api.get("/api/v1/timesheets?status=lost").status_code == 422
    assert api.get("/api/v1/timesheets?week_start=monday").status_code == 422


def test_list_statements_do_not_grow_with_rows(api, make, count_queries):
    api.as_role("account_manager")

    def another():
        placement = make.placement(start=date.today() - timedelta(days=30))
        user = make.user(role="engineer", engineer=placement.engineer)
        saved_week(placement, user)

    another()
    api.get("/api/v1/timesheets")
    with count_queries() as few:
        assert api.get_afresh("/api/v1/timesheets").status_code == 200
    for _ in range(3):
        another()
    with count_queries() as many:
        assert len(api.get_afresh("/api/v1/timesheets").json["data"]) == 4
    assert many.count == few.count
    assert count(TimesheetEntry) == 20


# ------------------------------------------------------------------------ published schema


def conforms(client, method: str, template: str, response) -> None:
    """The answer is what the published document says this operation answers."""
    import schemathesis

    spec = schemathesis.openapi.from_dict(client.get("/api/v1/openapi.json").json)
    spec[template][method].validate_response(response)


def test_answers_with_data_keep_to_the_published_schema(api, client, world):
    placement, engineer_user, client_user = world
    api.as_user(engineer_user)
    week = f"/api/v1/placements/{placement.id}/timesheets"
    created = put(api, week, week_body("8", "7.25", note="pairing"))
    conforms(client, "PUT", "/api/v1/placements/{placement_id}/timesheets", created)
    conforms(client, "PUT", "/api/v1/placements/{placement_id}/timesheets", put(api, week, {}))
    item = f"/api/v1/timesheets/{created.json['id']}"
    conforms(client, "POST", "/api/v1/timesheets/{timesheet_id}/submit", api.post(item + "/submit"))
    api.as_user(client_user)
    rejected = api.post(item + "/reject", json={"reason": "Tuesday?"})
    conforms(client, "POST", "/api/v1/timesheets/{timesheet_id}/reject", rejected)
    conforms(client, "GET", "/api/v1/timesheets", api.get("/api/v1/timesheets"))
    conforms(client, "GET", "/api/v1/timesheets/{timesheet_id}", api.get(item))
    approve = api.post(item + "/approve", json={})
    assert approve.status_code == 409
    conforms(client, "POST", "/api/v1/timesheets/{timesheet_id}/approve", approve)
