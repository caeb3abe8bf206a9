"""The reviews list and its export: filters, sorting, staff only, queries bounded."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from tracker.extensions import db
from tracker.infra.listing import parse_sort
from tracker.models import IterationReview
from tracker.reports import placement_reports


@pytest.fixture
def app(app):
    """The reviews blueprint, until tracker/__init__.py registers it (then this does nothing)."""
    if "reviews" not in app.blueprints:
        from tracker.reviews import bp

        app.register_blueprint(bp)
    return app


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def reviews(make):
    """Three placements at two clients with reviews of known scores, dates and authors."""
    acme, globex = make.client(name="Acme Robotics"), make.client(name="Globex")
    ana = make.engineer(full_name="Ana Souza")
    bruno = make.engineer(full_name="Bruno Lima")
    carla = make.engineer(full_name="Carla Díaz")
    author = make.user(name="Alice Manager")
    start = date(2026, 1, 5)
    p_ana = make.placement(engineer=ana, request=make.request(client=acme), start=start)
    p_bruno = make.placement(engineer=bruno, request=make.request(client=acme), start=start)
    p_carla = make.placement(engineer=carla, request=make.request(client=globex), start=start)

    def review(placement, iteration, scores, day, go_on=True, **kw):
        d, cq, cm, cb = scores
        return make.review(
            placement,
            iteration,
            delivery=d,
            code_quality=cq,
            communication=cm,
            collaboration=cb,
            would_continue=go_on,
            created_at=at(day),
            submitted_by=author,
            **kw,
        )

    return {
        "ana1": review(p_ana, 1, (4, 4, 5, 4), date(2026, 1, 20), comments="Solid start"),
        "ana2": review(p_ana, 2, (5, 5, 5, 5), date(2026, 2, 3)),
        "bruno1": review(p_bruno, 1, (3, 2, 3, 3), date(2026, 1, 21), go_on=False),
        "carla1": review(p_carla, 1, (3, 4, 3, 4), date(2026, 1, 25)),
        "carla2": review(p_carla, 2, (2, 2, 3, 2), date(2026, 2, 8), go_on=False),
    }


def shown(page: str) -> list[tuple[str, str]]:
    """(engineer, iteration) of each row, in order."""
    rows = re.findall(
        r'<a href="/placements/\d+">([^<]+)</a>.*?<td class="text-nowrap">\s*(\d+)', page, re.S
    )
    return [(name, iteration) for name, iteration in rows]


def test_staff_see_every_review_newest_first_with_links_to_placements(client, auth, reviews):
    auth.login_as("account_manager")
    response = client.get("/reviews/")
    assert response.status_code == 200
    assert shown(response.text) == [
        ("Carla Díaz", "2"),
        ("Ana Souza", "2"),
        ("Carla Díaz", "1"),
        ("Bruno Lima", "1"),
        ("Ana Souza", "1"),
    ]
    page = response.text
    assert f'href="/placements/{reviews["ana1"].placement_id}"' in page
    assert "4.25" in page
    assert "Solid start" in page
    assert "Alice Manager" in page
    assert 'href="/reviews/export.csv"' in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("engineer=ana", [("Ana Souza", "2"), ("Ana Souza", "1")]),
        ("engineer=D%C3%8DAZ", [("Carla Díaz", "2"), ("Carla Díaz", "1")]),
        ("would_continue=no", [("Carla Díaz", "2"), ("Bruno Lima", "1")]),
        ("would_continue=yes&engineer=carla", [("Carla Díaz", "1")]),
        ("from=2026-01-21&to=2026-01-25", [("Carla Díaz", "1"), ("Bruno Lima", "1")]),
        ("from=2026-02-01", [("Carla Díaz", "2"), ("Ana Souza", "2")]),
        ("to=2026-01-20", [("Ana Souza", "1")]),
        # overall below 3.5: bruno1 is 2.75, carla1 is exactly 3.5 (not below), carla2 is 2.25
        ("below=3.5", [("Carla Díaz", "2"), ("Bruno Lima", "1")]),
        ("below=3.51", [("Carla Díaz", "2"), ("Carla Díaz", "1"), ("Bruno Lima", "1")]),
    ],
)
def test_filters_narrow_the_list(client, auth, reviews, query, expected):
    auth.login_as("account_manager")
    assert shown(client.get(f"/reviews/?{query}").text) == expected


def test_filter_by_client_and_by_placement(client, auth, reviews):
    auth.login_as("account_manager")
    globex_id = reviews["carla1"].placement.client_id
    assert [n for n, _ in shown(client.get(f"/reviews/?client={globex_id}").text)] == [
        "Carla Díaz", "Carla Díaz",
    ]  # fmt: skip
    ana_placement = reviews["ana1"].placement_id
    page = client.get(f"/reviews/?placement={ana_placement}").text
    assert shown(page) == [("Ana Souza", "2"), ("Ana Souza", "1")]
    assert "Reviews of Ana Souza at Acme Robotics" in page


def test_sorting_by_overall_and_iteration(client, auth, reviews):
    auth.login_as("account_manager")
    by_overall = shown(client.get("/reviews/?sort=overall").text)
    assert by_overall == [
        ("Carla Díaz", "2"),  # 2.25
        ("Bruno Lima", "1"),  # 2.75
        ("Carla Díaz", "1"),  # 3.5
        ("Ana Souza", "1"),  # 4.25
        ("Ana Souza", "2"),  # 5.0
    ]
    assert shown(client.get("/reviews/?sort=-overall").text) == by_overall[::-1]
    by_iteration = shown(client.get("/reviews/?sort=-iteration").text)
    assert [it for _, it in by_iteration] == ["2", "2", "1", "1", "1"]
    oldest_first = shown(client.get("/reviews/?sort=date").text)
    assert oldest_first[0] == ("Ana Souza", "1")
    assert shown(client.get("/reviews/?sort=bogus").text)[0] == ("Carla Díaz", "2")


def test_bad_filters_are_explained_and_left_out(client, auth, reviews):
    auth.login_as("account_manager")
    response = client.get("/reviews/?from=2026-02-30&below=9&engineer=ana")
    assert response.status_code == 200
    assert "These filters were left out" in response.text
    assert "Give a score from 1 to 5." in response.text
    assert shown(response.text) == [("Ana Souza", "2"), ("Ana Souza", "1")]  # the valid one
    page = client.get("/reviews/?from=2026-02-01&to=2026-01-01").text
    assert "The “to” date is before the “from” date." in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"to": "9999-12-31"}, "Enter a date between 2000 and 2100."),  # was a day past date.max
        ({"from": "0001-01-01"}, "Enter a date between 2000 and 2100."),
        ({"below": "sNaN"}, "Enter a number."),
        ({"below": "Infinity"}, "Enter a number."),
        ({"placement": "9" * 400}, "Enter a smaller number."),
    ],
)
def test_filters_no_one_means_are_explained_and_left_out(client, auth, reviews, query, message):
    auth.login_as("account_manager")
    response = client.get("/reviews/", query_string=query)
    assert response.status_code == 200
    assert "These filters were left out" in response.text
    assert message in response.text
    assert len(shown(response.text)) == 5
    export = client.get("/reviews/export.csv", query_string=query)
    assert export.status_code == 200
    assert len(read_csv(export)) == 5


@pytest.mark.parametrize("query", [{"client": str(2**31)}, {"placement": str(2**31)}])
def test_ids_no_row_can_have_match_nothing_and_break_nothing(client, auth, reviews, query):
    auth.login_as("account_manager")
    response = client.get("/reviews/", query_string=query)
    assert response.status_code == 200


def test_a_page_number_past_any_offset_is_an_empty_page(client, auth, reviews):
    auth.login_as("account_manager")
    response = client.get("/reviews/", query_string={"page": str(2**63)})
    assert response.status_code == 200
    assert shown(response.text) == []


def test_empty_states(client, auth, make):
    auth.login_as("account_manager")
    assert "No iteration reviews yet" in client.get("/reviews/").text
    assert "No review matches these filters." in client.get("/reviews/?engineer=zz").text


@pytest.mark.parametrize("url", ["/reviews/", "/reviews/export.csv"])
def test_client_users_are_refused(client, auth, reviews, url):
    auth.login_as("client")
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", ["/reviews/", "/reviews/export.csv"])
def test_anonymous_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# --- export ------------------------------------------------------------------------------------

COLUMNS = [
    "placement_id", "client", "engineer", "iteration", "period_start", "period_end",
    "delivery", "code_quality", "communication", "collaboration", "overall", "would_continue",
    "comments", "action_items", "submitted_by", "submitted_at",
]  # fmt: skip


def read_csv(response) -> list[dict]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    assert reader.fieldnames == COLUMNS
    return list(reader)


def test_export_writes_the_filtered_reviews_in_list_order(client, auth, reviews):
    auth.login_as("account_manager")
    response = client.get("/reviews/export.csv?would_continue=no&page=2&per_page=1")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    filename = f"iteration-reviews-{date.today():%Y-%m-%d}.csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    rows = read_csv(response)  # every matching row, not one page
    assert [(r["engineer"], r["iteration"]) for r in rows] == [
        ("Carla Díaz", "2"), ("Bruno Lima", "1"),
    ]  # fmt: skip
    carla = rows[0]
    assert carla == {
        "placement_id": str(reviews["carla2"].placement_id),
        "client": "Globex",
        "engineer": "Carla Díaz",
        "iteration": "2",
        "period_start": "2026-01-19",
        "period_end": "2026-02-01",
        "delivery": "2",
        "code_quality": "2",
        "communication": "3",
        "collaboration": "2",
        "overall": "2.25",
        "would_continue": "no",
        "comments": "",
        "action_items": "",
        "submitted_by": "Alice Manager",
        "submitted_at": "2026-02-08T12:00:00+00:00",
    }


def test_export_honours_every_filter_and_the_sort(client, auth, reviews):
    auth.login_as("account_manager")
    acme = reviews["ana1"].placement.client_id
    rows = read_csv(client.get(f"/reviews/export.csv?client={acme}&below=4.5&sort=overall"))
    assert [(r["engineer"], r["overall"]) for r in rows] == [
        ("Bruno Lima", "2.75"), ("Ana Souza", "4.25"),
    ]  # fmt: skip
    rows = read_csv(client.get("/reviews/export.csv?from=2026-02-01&to=2026-02-05"))
    assert [r["engineer"] for r in rows] == ["Ana Souza"]


def test_export_cells_cannot_run_as_spreadsheet_formulas(client, auth, make):
    auth.login_as("account_manager")
    make.review(make.placement(), 1, comments="=HYPERLINK(1)", action_items="@cmd")
    row = read_csv(client.get("/reviews/export.csv"))[0]
    assert (row["comments"], row["action_items"]) == ("'=HYPERLINK(1)", "'@cmd")


# --- bounded queries ---------------------------------------------------------------------------


def add_reviews(make, count: int) -> None:
    """`count` reviews, ten per placement, written directly (no summaries needed here)."""
    author = make.user()
    for first in range(0, count, 10):
        placement = make.placement(start=date(2025, 1, 6))
        for k in range(min(10, count - first)):
            start = placement.start_date + timedelta(days=14 * k)
            db.session.add(
                IterationReview(
                    placement=placement,
                    iteration=k + 1,
                    period_start=start,
                    period_end=start + timedelta(days=13),
                    delivery=1 + k % 5,
                    code_quality=4,
                    communication=3,
                    collaboration=5,
                    would_continue=k % 3 != 0,
                    submitted_by=author,
                )
            )
    db.session.commit()


def test_list_queries_do_not_grow_with_rows(client, auth, make, count_queries):
    auth.login_as("account_manager")
    add_reviews(make, 10)
    with count_queries() as small:
        assert client.get("/reviews/").status_code == 200
    add_reviews(make, 190)
    with count_queries() as large:
        response = client.get("/reviews/?per_page=200")
    assert len(re.findall(r'<a href="/placements/\d+">', response.text)) == 200
    assert large.count == small.count


def test_export_queries_do_not_grow_with_rows(client, auth, make, count_queries):
    auth.login_as("account_manager")
    add_reviews(make, 10)
    with count_queries() as small:
        assert len(read_csv(client.get("/reviews/export.csv"))) == 10
    add_reviews(make, 190)
    with count_queries() as large:
        assert len(read_csv(client.get("/reviews/export.csv"))) == 200
    assert large.count == small.count


def test_export_streams_one_query_in_batches(make, count_queries, monkeypatch):
    add_reviews(make, 25)
    executed = []
    execute = db.session.execute

    def spy(stmt, *args, **kw):
        executed.append(stmt)
        return execute(stmt, *args, **kw)

    monkeypatch.setattr(db.session, "execute", spy)
    sort = parse_sort("overall", placement_reports.REVIEW_SORTS, "-date")
    with count_queries() as counter:
        rows = list(
            placement_reports.review_export_rows(placement_reports.ReviewFilters(), sort, batch=4)
        )
    assert len(rows) == 25
    assert [row[10] for row in rows] == sorted(row[10] for row in rows)  # overall, ascending
    assert counter.count == 1
    assert executed[0].get_execution_options()["yield_per"] == 4
