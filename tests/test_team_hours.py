"""The team's hours, one rule (issue 13): the request's own zone and hours when it sets them,
otherwise its client's — the same for matching, the portal's overlap and the request page."""

from datetime import time

from tracker.services import portal
from tracker.services.matching import needs_of
from tracker.services.staffing_requests import effective_hours
from tracker.services.timezones import WorkingWindow

CLIENT_HOURS = dict(timezone="America/New_York", workday_start=time(9), workday_end=time(17))


def test_a_request_with_its_own_hours_uses_them_everywhere(make):
    company = make.client(**CLIENT_HOURS)
    req = make.request(
        client=company, timezone="Europe/Madrid", workday_start=time(8), workday_end=time(16)
    )

    hours = effective_hours(req)

    assert (hours.timezone, hours.start, hours.end, hours.from_client) == (
        "Europe/Madrid",
        time(8),
        time(16),
        False,
    )
    assert hours.window == WorkingWindow("Europe/Madrid", time(8), time(16))
    assert needs_of(req).window == hours.window


def test_a_request_without_hours_uses_its_clients(make):
    company = make.client(**CLIENT_HOURS)
    req = make.request(client=company)

    hours = effective_hours(req)

    assert hours.from_client
    assert hours.window == WorkingWindow("America/New_York", time(9), time(17))
    assert needs_of(req).window == hours.window


def test_an_empty_zone_is_no_zone_for_every_reader(make):
    """The case where the two old copies differed: matching took an empty zone for none (the
    client's hours), the request page and the CSV showed the empty zone. Both read the
    client's now."""
    company = make.client(**CLIENT_HOURS)
    req = make.request(client=company, timezone="", workday_start=time(8), workday_end=time(16))

    hours = effective_hours(req)

    assert hours.from_client
    assert hours.window == WorkingWindow("America/New_York", time(9), time(17))
    assert needs_of(req).window == hours.window


def test_the_portal_overlap_reads_the_same_hours(make):
    company = make.client(**CLIENT_HOURS)
    req = make.request(
        client=company, timezone="America/Sao_Paulo", workday_start=time(9), workday_end=time(18)
    )
    engineer = make.engineer(
        timezone="America/Sao_Paulo", workday_start=time(9), workday_end=time(18)
    )
    proposal = make.proposal(request=req, engineer=engineer)

    profile = portal.proposal_overlap(proposal)

    # Same zone and hours as the request's own (not the client's New York 9–17): 9 h a day.
    assert profile.minimum == 9
