"""The skills catalogue: one skill per name, whatever its case."""

import sqlalchemy as sa

from tracker.models import Skill, User, db
from tracker.services import DomainError
from tracker.services.audit import pending_changes, record_event


def normalise_name(name: str) -> str:
    """Trimmed, inner spaces collapsed: '  Vector   DBs ' -> 'Vector DBs'."""
    return " ".join((name or "").split())


def find_skill(name: str) -> Skill | None:
    """The skill with this name, compared case-insensitively."""
    key = normalise_name(name).lower()
    return db.session.scalar(sa.select(Skill).where(sa.func.lower(Skill.name) == key))


def skills_by_name(names) -> dict[str, Skill]:
    """{lowercased name: Skill} for the names that exist, in one query."""
    keys = {normalise_name(n).lower() for n in names if normalise_name(n)}
    if not keys:
        return {}
    rows = db.session.scalars(sa.select(Skill).where(sa.func.lower(Skill.name).in_(keys)))
    return {s.name.lower(): s for s in rows}


def create_skill(name: str, category: str | None, actor: User | None) -> Skill:
    """A new catalogue entry; refused when the name exists in any case."""
    name = normalise_name(name)
    if not name:
        raise DomainError("A skill needs a name.")
    if len(name) > 60:
        raise DomainError("Skill names have at most 60 characters.")
    if ":" in name or ";" in name:
        raise DomainError("Skill names cannot contain ':' or ';' (the CSV format uses them).")
    if existing := find_skill(name):
        raise DomainError(f"The skill {existing.name} already exists.")
    skill = Skill(name=name, category=(category or "").strip() or None)
    db.session.add(skill)
    record_event(actor, "skill.created", skill, pending_changes(skill))
    return skill


def all_skills() -> list[Skill]:
    """The whole catalogue by name (it is small: tens to a few hundred skills)."""
    return list(db.session.scalars(sa.select(Skill).order_by(sa.func.lower(Skill.name))))
