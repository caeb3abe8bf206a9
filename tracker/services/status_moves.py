"""Who may make a status move: the words the tables of requests, proposals and placements share.

Each of those services keeps ONE table, {(from, to): who may make the move}, and ONE function
that makes every move of its model, the automatic ones included (issue 13.2). This module only
says who "who" can be and answers questions about a table; the rules stay with their model.
"""

from collections.abc import Iterable, Mapping
from enum import StrEnum

from tracker.models import User
from tracker.models.enums import STAFF_ROLES


class By(StrEnum):
    """Who makes a status move: a person in a role, or the system on its own."""

    ADMIN = "admin"
    ACCOUNT_MANAGER = "account_manager"
    CLIENT = "client"  # a client company's user, in the portal
    ENGINEER = "engineer"  # an engineer, in their own area
    SYSTEM = "system"  # automatically: a consequence of another change, or the daily run


STAFF = frozenset(By(role) for role in STAFF_ROLES)  # staff as models.enums defines them
CLIENT = frozenset({By.CLIENT})
ENGINEER = frozenset({By.ENGINEER})
SYSTEM = frozenset({By.SYSTEM})

# {(from status, to status): who may make that move}
Moves = Mapping[tuple[str, str], frozenset[By]]

WHO: dict[str, str] = {
    By.ADMIN: "an admin",
    By.ACCOUNT_MANAGER: "an account manager",
    By.CLIENT: "a client",
    By.ENGINEER: "the engineer",
    By.SYSTEM: "the system",
}


def mover(actor: User | None, *, automatic: bool = False) -> str:
    """Who makes a move: the system when it is automatic (or nobody acts), else the actor's role."""
    if automatic or actor is None:
        return By.SYSTEM
    return actor.role


def may(table: Moves, current: str, target: str, by: str) -> bool:
    """Whether `by` may move a record from `current` to `target`."""
    return by in table.get((current, target), frozenset())


def options(table: Moves, current: str, by: str) -> tuple[str, ...]:
    """The statuses `by` may move a record to from `current`, in the table's order."""
    return tuple(t for (f, t), who in table.items() if f == current and by in who)


def moves_for(table: Moves, statuses: Iterable[str], by: str) -> dict[str, tuple[str, ...]]:
    """{status: the statuses `by` may move to from it}, every status listed (a final one: ())."""
    return {s: options(table, s, by) for s in statuses}


def is_final(table: Moves, current: str) -> bool:
    """Whether nobody may move a record out of `current`."""
    return not any(f == current for f, _ in table)


def people_who_may(table: Moves, current: str, target: str) -> tuple[str, ...]:
    """The roles of the people (not the system) who may make the move, in a fixed order."""
    who = table.get((current, target), frozenset())
    return tuple(b for b in By if b in who and b != By.SYSTEM)


def only_people(people: tuple[str, ...]) -> str:
    """'only an admin or an account manager may make that move'"""
    return "only " + " or ".join(WHO[p] for p in people) + " may make that move"


def who_words(by: str) -> str:
    """'a client', 'the system'; a role this module does not know reads as 'this user'."""
    try:
        return WHO[By(by)]
    except ValueError:
        return "this user"
