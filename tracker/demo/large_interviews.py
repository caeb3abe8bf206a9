"""Interviews of the large agency (tracker/demo/large.py), in every state a user meets.

For the proposals put to clients since the tracker keeps interviews (`Scale.tracked_weeks`):
accepted ones mostly after an interview whose outcome accepted them, declined ones sometimes
after an interview that went badly (or with their open request cancelled), withdrawn ones with
theirs cancelled; every proposal that is interviewing has met or will meet: most have an
interview scheduled in the coming days, some a no-show and a new request, some a held interview
waiting for the client's decision; some proposed ones have a request waiting for the agency.

Times are slots as interviews.free_slots offers them: inside both working days
(interviews.common_intervals), on the team's half hours (interviews.grid_slots), never two
scheduled ones of an engineer at once (the database refuses it).
"""

import random
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING

from flask import current_app

from tracker.demo.data import MEETING_LINK, _weighted
from tracker.models.enums import InterviewStatus
from tracker.services import interviews
from tracker.services.timezones import WorkingWindow

if TYPE_CHECKING:
    from tracker.demo.large import Generator

IS = InterviewStatus
Slot = tuple[datetime, datetime]
# Shares of the proposals (by status) that met, or asked to meet, the engineer.
MET = {"accepted": 0.6, "declined": 0.35}
CANCELLED = {"declined": 0.1, "withdrawn": 0.15, "proposed": 0.05}
ASKED = 0.25  # proposed ones with a request waiting for the agency
# How an interviewing proposal's interviews stand.
INTERVIEWING = {"scheduled": 70, "no_show": 10, "held": 10, "moved": 10}
NOT_CONTINUING = "Not the depth we need on the platform side."


@cache
def _window(zone: str, start: time, end: time) -> WorkingWindow:
    return WorkingWindow(zone, start, end)


class Meetings:
    """The interviews of the agency's recent proposals, planned as rows."""

    def __init__(self, g: "Generator", rng: random.Random):
        self.g, self.rng = g, rng
        self.rows: list[dict] = []
        self.booked: dict[int, list[Slot]] = defaultdict(list)  # engineer -> scheduled times
        self.length = timedelta(minutes=int(current_app.config["INTERVIEW_MINUTES"]))
        self.skill_names = {i: name for name, i in g.skills.items()}
        self.requests = {r.id: r for r in g.requests}
        self.owed = [how for how in INTERVIEWING if how != "scheduled"]  # not shown yet

    def plan(self, engineer_users: dict[int, int]) -> None:
        g, rng, today = self.g, self.rng, self.g.today
        self.engineer_users = engineer_users
        since = today - timedelta(weeks=g.scale.tracked_weeks)
        tomorrow = datetime.combine(today + timedelta(days=1), time(0), tzinfo=UTC)
        for p in g.proposals:  # in order of creation
            status, proposed = p["status"], p["proposed_at"]
            if proposed is None or proposed.date() < since:
                continue
            draw = rng.random()
            if status in MET and draw < MET[status]:
                self._held(p, keep=status == "accepted")
            elif status in CANCELLED and draw > 1 - CANCELLED[status]:
                self._cancelled(p)
            elif status == "proposed" and draw < ASKED:
                self._asked(p, tomorrow)
            elif status == "interviewing":
                self._interviewing(p, tomorrow)

    # --- each state ------------------------------------------------------------------------

    def _interviewing(self, p: dict, tomorrow: datetime) -> None:
        """The proposal moved to interviewing when a time was confirmed (interviews.confirm).
        The rarer states go to the first proposals that can show them, so each is there."""
        how = self.owed.pop(0) if self.owed else _weighted(self.rng, INTERVIEWING)
        if how == "scheduled":
            done = self._scheduled(p, tomorrow)
        elif how == "held":
            done = self._held(p, keep=False, decided=False)
        elif how == "no_show":
            done = self._no_show(p) and (self._asked(p, tomorrow) or True)
        else:  # moved: the confirmed time cancelled, other times asked for
            done = self._cancelled(p, scheduled=True) and (self._asked(p, tomorrow) or True)
        if not done and how != "scheduled":
            self.owed.append(how)
            self._scheduled(p, tomorrow)

    def _past_slot(self, p: dict) -> Slot | None:
        """A slot in the days after the engineer was proposed, before the proposal was decided
        (or today)."""
        proposed: datetime = p["proposed_at"]
        ends_before = p["decided_at"] or datetime.combine(self.g.today, time(0), tzinfo=UTC)
        slots = [
            s
            for s in self._slots(p, proposed.date() + timedelta(days=1), 3, proposed, busy=[])
            if s[1] + timedelta(hours=2) < ends_before
        ]
        return self.rng.choice(slots[:8]) if slots else None

    def _held(self, p: dict, *, keep: bool, decided: bool = True) -> bool:
        """A held interview with the client's outcome: continuing accepted the proposal then
        (interviews.record_outcome); not continuing, the client declined it later."""
        rng = self.rng
        slot = self._past_slot(p)
        if slot is None:
            return False
        held = slot[1] + timedelta(hours=2)
        outcome_at = p["decided_at"] if keep and decided else held
        low, high = (4, 5) if keep else (2, 4)
        req = self.requests[p["request_id"]]
        musts = sorted(self.skill_names[s] for s, _level, required in req.row["skills"] if required)
        self._row(
            p,
            IS.COMPLETED,
            slot,
            asked=p["proposed_at"] + timedelta(hours=1),
            changed=outcome_at,
            confirmed_at=p["proposed_at"] + timedelta(hours=3),
            skill_ratings={name: rng.randint(low, high) for name in musts},
            overall_rating=rng.randint(4, 5) if keep else rng.randint(2, 3),
            would_continue=keep,
            outcome_note=None if keep else NOT_CONTINUING,
            outcome_by_id=self._client_side(p),
            outcome_at=outcome_at,
        )
        return True

    def _no_show(self, p: dict) -> bool:
        slot = self._past_slot(p)
        if slot is None:
            return False
        self._row(
            p,
            IS.NO_SHOW,
            slot,
            asked=p["proposed_at"] + timedelta(hours=1),
            changed=slot[1] + timedelta(minutes=30),
            confirmed_at=p["proposed_at"] + timedelta(hours=2),
            no_show_party=self.rng.choice(("engineer", "engineer", "client")),
        )
        return True

    def _cancelled(self, p: dict, *, scheduled: bool = False) -> bool:
        """Asked for and cancelled: when the proposal was decided (interviews.close_for_proposal),
        by the client, or a confirmed time called off before it (then asked again)."""
        rng = self.rng
        asked = p["proposed_at"] + timedelta(hours=1)
        slot = self._past_slot(p) if scheduled else None
        if scheduled and slot is None:
            return False
        fields: dict = {}
        if slot is not None:
            confirmed = asked + timedelta(hours=1)
            at = max(slot[0] - timedelta(hours=rng.randint(3, 20)), confirmed + timedelta(hours=1))
            by, reason = self._client_side(p), None
            fields |= dict(confirmed_at=confirmed, sequence=1)
        elif p["decided_at"] is not None:
            at, reason = p["decided_at"], f"The proposal was {p['status']}."
            by = self._client_side(p) if p["status"] == "declined" else self._manager(p)
        else:
            yesterday = datetime.combine(self.g.today, time(0), tzinfo=UTC) - timedelta(hours=6)
            at = max(asked, min(asked + timedelta(hours=rng.randint(2, 48)), yesterday))
            by, reason = self._client_side(p), None
        if slot is None:
            fields["choices"] = self._choices(self._slots(p, asked.date(), 5, asked, busy=[]))
        fields |= dict(cancelled_by_id=by, cancelled_at=at, cancel_reason=reason)
        self._row(p, IS.CANCELLED, slot, asked=asked, changed=at, **fields)
        return True

    def _scheduled(self, p: dict, tomorrow: datetime) -> bool:
        """Confirmed yesterday for one of the team's next working days."""
        slots = self._slots(p, tomorrow.date(), 5, tomorrow, busy=self.booked[p["engineer_id"]])
        if not slots:
            return False
        slot = self.rng.choice(slots[:10])
        self.booked[p["engineer_id"]].append(slot)
        today = self.g.today
        confirmed = datetime.combine(today - timedelta(days=1), time(16), tzinfo=UTC)
        asked = datetime.combine(today - timedelta(days=2), time(14), tzinfo=UTC)
        self._row(
            p,
            IS.SCHEDULED,
            slot,
            asked=max(asked, p["proposed_at"]),
            changed=confirmed,
            confirmed_at=confirmed,
        )
        return True

    def _asked(self, p: dict, tomorrow: datetime) -> bool:
        """Three times offered by the client yesterday, waiting for the agency's answer."""
        slots = self._slots(p, tomorrow.date(), 6, tomorrow, busy=self.booked[p["engineer_id"]])
        if len(slots) < 3:
            return False
        asked = datetime.combine(self.g.today - timedelta(days=1), time(15), tzinfo=UTC)
        self._row(
            p, IS.REQUESTED, None, asked=max(asked, p["proposed_at"]), choices=self._choices(slots)
        )
        return True

    # --- times and rows --------------------------------------------------------------------

    def _slots(self, p: dict, start: date, days: int, now: datetime, busy: list[Slot]):
        req = self.requests[p["request_id"]]
        row, client = req.row, self.g.clients[req.client - 1]
        if row["timezone"]:
            team = _window(row["timezone"], row["workday_start"], row["workday_end"])
        else:
            team = _window(client["timezone"], client["workday_start"], client["workday_end"])
        e = self.g.engineers[p["engineer_id"] - 1]
        engineer = _window(e["timezone"], e["workday_start"], e["workday_end"])
        common = interviews.common_intervals(
            team, engineer, interviews.working_days(start, days, team)
        )
        common = [(lo, hi) for lo, hi in common if hi - lo >= self.length]
        return interviews.grid_slots(common, self.length, team.zone, now, busy)

    @staticmethod
    def _choices(slots: list[Slot]) -> list[list[str]]:
        if len(slots) < 3:
            return [[a.isoformat(), b.isoformat()] for a, b in slots]
        picks = [slots[1], slots[len(slots) // 2], slots[-2]]
        return [[a.isoformat(), b.isoformat()] for a, b in picks]

    def _client_side(self, p: dict) -> int:
        """Who asks and answers for the client: its portal user, or its account manager."""
        client = self.requests[p["request_id"]].client
        return self.g.client_user.get(client) or self._manager(p)

    def _manager(self, p: dict) -> int:
        return self.g.clients[self.requests[p["request_id"]].client - 1]["account_manager_id"]

    def _row(
        self,
        p: dict,
        status: str,
        slot: Slot | None,
        *,
        asked: datetime,
        changed: datetime | None = None,
        **fields,
    ) -> None:
        """An interview the client's side asked for; with a slot, confirmed by the account
        manager (or the engineer, when they sign in) with a meeting link."""
        n = len(self.rows) + 1
        e = self.g.engineers[p["engineer_id"] - 1]
        client = self.g.clients[self.requests[p["request_id"]].client - 1]
        # The same data, the same UIDs: from what the interview is, as the demo's are.
        what = f"large:{n}:{client['name']}:{e['email']}:{status}"
        uid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"engagement-tracker:demo:{what}"))
        row = {
            "id": n,
            "proposal_id": p["id"],
            "engineer_id": p["engineer_id"],
            "uid": uid,
            "status": status,
            "starts_at": slot[0] if slot else None,
            "ends_at": slot[1] if slot else None,
            "choices": [],
            "choices_side": "client",
            "meeting_url": MEETING_LINK.format(uid[:13]) if slot else None,
            "sequence": 0,
            "requested_by_id": self._client_side(p),
            "confirmed_by_id": None,
            "confirmed_at": None,
            "cancelled_by_id": None,
            "cancelled_at": None,
            "cancel_reason": None,
            "no_show_party": None,
            "skill_ratings": None,
            "overall_rating": None,
            "would_continue": None,
            "outcome_note": None,
            "outcome_by_id": None,
            "outcome_at": None,
            "version_id": 1 + (slot is not None) + (status not in (IS.REQUESTED, IS.SCHEDULED)),
            "created_at": asked,
            "updated_at": max(asked, changed or asked),
        }
        if slot is not None:
            row["confirmed_by_id"] = self.engineer_users.get(p["engineer_id"]) or self._manager(p)
        row.update(fields)
        self.rows.append(row)
