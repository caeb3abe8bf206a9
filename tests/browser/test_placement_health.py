"""An at-risk placement, from the dashboard to a recorded review and a replacement."""

import re
from datetime import date, time, timedelta
from decimal import Decimal

from tests.browser.test_workspace import flash, sign_in_as_account_manager


def at_risk_placement(server) -> tuple[int, str]:
    """A placement 7 weeks in, reviewed once, with iterations 2 and 3 overdue: red."""
    from tracker.extensions import db
    from tracker.models import (
        Client,
        Engineer,
        IterationReview,
        Placement,
        StaffingRequest,
        utcnow,
    )
    from tracker.services.reviews import refresh_summary

    start = date.today() - timedelta(days=49)
    with server.app.app_context():
        client = Client(name="Fjord Analytics", country="NO", timezone="Europe/Oslo",
                        workday_start=time(9), workday_end=time(17))  # fmt: skip
        engineer = Engineer(
            full_name="Lucía Fernández", email="lucia.fernandez@mail.example", country="AR",
            timezone="America/Argentina/Buenos_Aires", workday_start=time(8),
            workday_end=time(17), seniority="senior", years_experience=8, english_level="C1",
            hourly_rate=Decimal("60.00"), vetting_status="vetted", code_quality=4,
            system_design=4, api_integration=4, communication=4, vetted_at=utcnow(),
        )  # fmt: skip
        req = StaffingRequest(client=client, title="Forecasting engineer", seniority="senior",
                              start_date=start, duration_weeks=52, status="filled",
                              min_overlap_hours=Decimal(3))  # fmt: skip
        placement = Placement(request=req, client=client, engineer=engineer, start_date=start,
                              end_date=start + timedelta(days=363), bill_rate=Decimal(95),
                              pay_rate=Decimal(60), status="active", review_cadence_days=14)  # fmt: skip
        placement.reviews.append(IterationReview(
            iteration=1, period_start=start, period_end=start + timedelta(days=13), delivery=4,
            code_quality=4, communication=4, collaboration=4, would_continue=True,
        ))  # fmt: skip
        db.session.add_all([client, engineer, req, placement])
        db.session.flush()
        refresh_summary(placement)
        db.session.commit()
        return placement.id, engineer.full_name


def drawn_points(page) -> int:
    return page.evaluate(
        """() => {
            const canvas = document.querySelector('canvas[data-chart]');
            const chart = canvas && window.Chart && window.Chart.getChart(canvas);
            return chart ? chart.data.datasets[0].data.filter((v) => v !== null).length : -1;
        }"""
    )


def test_at_risk_placement_review_health_chart_and_replacement(page, demo_server):
    placement_id, name = at_risk_placement(demo_server)
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm asks before ending
    sign_in_as_account_manager(page, demo_server)

    at_risk = page.locator('[data-testid="attention"]')
    assert "2 or more reviews overdue" in at_risk.locator("li").filter(has_text=name).inner_text()
    at_risk.get_by_role("link", name=name).click()
    page.wait_for_url(re.compile(rf"/placements/{placement_id}$"))
    assert "red" in page.get_by_test_id("health").inner_text().lower()
    assert drawn_points(page) == 1

    # Record the oldest overdue review.
    page.locator('tr[data-iteration="2"]').get_by_role("link", name="Review").click()
    # Nothing is preselected (issue 11.2): every rating is chosen.
    for field, rating in (("delivery", "5"), ("code_quality", "4"), ("communication", "4"),
                          ("collaboration", "4"), ("would_continue", "yes")):  # fmt: skip
        page.locator(f"#{field}").select_option(rating)
    page.get_by_label("Comments").fill("Back on track after the data migration")
    page.get_by_role("button", name="Save review").click()
    page.wait_for_url(re.compile(rf"/placements/{placement_id}#iterations$"))
    assert "Review of iteration 2 saved." in flash(page)

    health = page.get_by_test_id("health").inner_text().lower()
    assert "amber" in health
    assert "1 review overdue" in health
    assert drawn_points(page) == 2  # the chart has the new review

    # Replace the engineer: end as replaced and go find a successor.
    page.get_by_text("Replace the engineer…").click()
    page.get_by_label("The engineer's last day").fill(date.today().isoformat())
    page.get_by_role("button", name="Replace engineer").click()
    page.wait_for_url(re.compile(r"/requests/\d+/matches$"))
    assert "ended as replaced" in flash(page)
    page.goto(f"{demo_server.url}/placements/{placement_id}")
    assert "Replaced" in page.get_by_test_id("status-line").inner_text()
    assert page.console_errors == []
