"""The placements CSV: the list's filters and order plus health, every column, bounded queries."""

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tracker.extensions import db
from tracker.infra.listing import parse_sort
from tracker.reports import placement_reports

COLUMNS = [
    "id", "engineer", "client", "request", "status", "end_reason", "start_date", "end_date",
    "bill_rate", "pay_rate", "margin", "review_cadence_days", "health", "health_reason",
    "reviews_count", "last_overall",
]  # fmt: skip


def read_csv(response) -> list[dict]:
    assert response.status_code == 200, response.status_code
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    assert reader.fieldnames == COLUMNS
    return list(reader)


@pytest.fixture
def placements(make):
    """One placement per health level, an ended one, at two clients (dates relative to today)."""
    today = date.today()
    acme, globex = make.client(name="Acme Robotics"), make.client(name="Globex")

    def placed(name, client, **kw):
        engineer = make.engineer(full_name=name)
        return make.placement(
            engineer=engineer, request=make.request(client=client, title=f"{name}'s team"), **kw
        )

    # Started five days ago: nothing due yet.
    green = placed("Ana Souza", acme, start=today - timedelta(days=5), bill_rate=Decimal("100"))
    # Started 30 days ago, fortnightly, nothing reviewed: iteration 1 is a week overdue.
    amber = placed("Bruno Lima", acme, bill_rate=Decimal("80.50"), pay_rate=Decimal("50.25"))
    # Reviewed, and the client would not continue.
    red = placed("Carla Díaz", globex, start=today - timedelta(days=20), bill_rate=Decimal("120"))
    make.review(red, 1, delivery=3, code_quality=2, communication=3, collaboration=3,
                would_continue=False)  # fmt: skip
    ended = placed(
        "Diego Ruiz",
        globex,
        start=today - timedelta(days=200),
        end=today - timedelta(days=10),
        status="ended",
        end_reason="completed",
    )
    return {"green": green, "amber": amber, "red": red, "ended": ended}


def names(rows) -> list[str]:
    return [r["engineer"] for r in rows]


def test_export_writes_every_column(client, auth, placements):
    auth.login_as("account_manager")
    response = client.get("/placements/export.csv")
    assert response.mimetype == "text/csv"
    filename = f"placements-{date.today():%Y-%m-%d}.csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    rows = {r["engineer"]: r for r in read_csv(response)}
    amber, red = placements["amber"], placements["red"]
    assert rows["Bruno Lima"] == {
        "id": str(amber.id),
        "engineer": "Bruno Lima",
        "client": "Acme Robotics",
        "request": "Bruno Lima's team",
        "status": "active",
        "end_reason": "",
        "start_date": amber.start_date.isoformat(),
        "end_date": "",
        "bill_rate": "80.50",
        "pay_rate": "50.25",
        "margin": "30.25",
        "review_cadence_days": "14",
        "health": "amber",
        "health_reason": "1 review overdue",
        "reviews_count": "0",
        "last_overall": "",
    }
    carla = rows["Carla Díaz"]
    assert (carla["health"], carla["reviews_count"], carla["last_overall"]) == ("red", "1", "2.75")
    assert carla["health_reason"] == "the client would not continue; recent reviews average 2.75"
    assert str(red.id) == carla["id"]
    assert (rows["Ana Souza"]["health"], rows["Ana Souza"]["health_reason"]) == (
        "green", "on track",
    )  # fmt: skip
    diego = rows["Diego Ruiz"]
    assert (diego["status"], diego["end_reason"], diego["health"], diego["health_reason"]) == (
        "ended", "completed", "", "",
    )  # fmt: skip
    assert diego["end_date"] == (date.today() - timedelta(days=10)).isoformat()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("health=green", ["Ana Souza"]),
        ("health=amber", ["Bruno Lima"]),
        ("health=red", ["Carla Díaz"]),
        ("health=purple", ["Ana Souza", "Carla Díaz", "Bruno Lima", "Diego Ruiz"]),
        ("status=ended", ["Diego Ruiz"]),
        ("status=active&health=red", ["Carla Díaz"]),
        ("q=globex", ["Carla Díaz", "Diego Ruiz"]),
        ("q=LIMA", ["Bruno Lima"]),
        ("q=acme&health=amber", ["Bruno Lima"]),
        ("sort=bill", ["Bruno Lima", "Diego Ruiz", "Ana Souza", "Carla Díaz"]),
        ("sort=-bill&status=active", ["Carla Díaz", "Ana Souza", "Bruno Lima"]),
    ],
)
def test_export_filters_like_the_list_plus_health(client, auth, placements, query, expected):
    auth.login_as("account_manager")
    assert names(read_csv(client.get(f"/placements/export.csv?{query}"))) == expected


@pytest.mark.parametrize(
    "query", ["", "q=acme", "status=active", "status=ended", "sort=bill", "sort=-end", "q=zz"]
)
def test_placement_list_matches_what_the_placements_page_shows(client, auth, placements, query):
    """The service the list will switch to returns the rows the page shows, in its order."""
    auth.login_as("account_manager")
    page = client.get(f"/placements/?{query}").text
    on_page = [int(i) for i in re.findall(r'<a href="/placements/(\d+)">', page)]
    args = dict(part.split("=") for part in query.split("&") if part)
    sort = parse_sort(args.get("sort"), placement_reports.SORTS, placement_reports.DEFAULT_SORT)
    stmt = placement_reports.placement_list(args.get("q"), args.get("status"), sort)
    assert [p.id for p in db.session.scalars(stmt)] == on_page


def test_export_cells_cannot_run_as_spreadsheet_formulas(client, auth, make):
    auth.login_as("account_manager")
    make.placement(engineer=make.engineer(full_name="=cmd|' /C calc'!A0"))
    assert read_csv(client.get("/placements/export.csv"))[0]["engineer"].startswith("'=")


def test_client_users_are_refused(client, auth, placements):
    auth.login_as("client")
    assert client.get("/placements/export.csv").status_code == 403


def test_export_queries_are_bounded_by_batches_not_rows(client, auth, make, count_queries):
    auth.login_as("account_manager")
    for _ in range(5):
        make.placement()
    with count_queries() as small:
        assert len(read_csv(client.get("/placements/export.csv?health=amber"))) == 5
    for _ in range(40):
        make.placement()
    with count_queries() as large:
        assert len(read_csv(client.get("/placements/export.csv?health=amber"))) == 45
    assert large.count == small.count


def test_export_streams_one_query_in_batches(make, count_queries, monkeypatch):
    for _ in range(20):
        make.placement()
    sort = parse_sort(None, placement_reports.SORTS, placement_reports.DEFAULT_SORT)
    executed = []
    execute = db.session.execute

    def spy(stmt, *args, **kw):
        executed.append(stmt)
        return execute(stmt, *args, **kw)

    monkeypatch.setattr(db.session, "execute", spy)

    def export(batch):
        with count_queries() as counter:
            rows = list(
                placement_reports.placement_export_rows(
                    None, None, sort, today=date.today(), batch=batch
                )
            )
        return rows, counter.count

    whole, queries = export(500)
    batched, queries_in_batches = export(3)
    assert batched == whole
    assert len(whole) == 20
    # One query, its rows fetched `batch` at a time (a server-side cursor on PostgreSQL).
    assert queries == queries_in_batches == 1
    assert [s.get_execution_options()["yield_per"] for s in executed] == [500, 3]
