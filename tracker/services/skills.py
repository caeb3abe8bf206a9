"""Skills: the catalogue (one skill per name, whatever its case) and the levels engineers hold."""

from dataclasses import dataclass

import sqlalchemy as sa

from tracker.infra.audit import pending_changes, record_event
from tracker.models import Engineer, EngineerSkill, RequestSkill, Skill, User, db
from tracker.services import DomainError

NAME_MAX = 60
CATEGORY_MAX = 40
MAX_SKILL_YEARS = 60


@dataclass(frozen=True)
class CatalogueRow:
    """A skill with how much it is used, as the catalogue page shows it."""

    skill: Skill
    active_engineers: int
    requests: int


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


def _checked_name(name: str, skill: Skill | None = None) -> str:
    """The normalised name, refused when empty, too long, CSV-unsafe or taken by another skill."""
    name = normalise_name(name)
    if not name:
        raise DomainError("A skill needs a name.")
    if len(name) > NAME_MAX:
        raise DomainError(f"Skill names have at most {NAME_MAX} characters.")
    if ":" in name or ";" in name:
        raise DomainError("Skill names cannot contain ':' or ';' (the CSV format uses them).")
    existing = find_skill(name)
    if existing is not None and (skill is None or existing.id != skill.id):
        raise DomainError(f"The skill {existing.name} already exists.")
    return name


def _checked_category(category: str | None) -> str | None:
    category = normalise_name(category or "") or None
    if category and len(category) > CATEGORY_MAX:
        raise DomainError(f"Categories have at most {CATEGORY_MAX} characters.")
    return category


def create_skill(name: str, category: str | None, actor: User | None) -> Skill:
    """A new catalogue entry; refused when the name exists in any case."""
    skill = Skill(name=_checked_name(name), category=_checked_category(category))
    db.session.add(skill)
    record_event(actor, "skill.created", skill, pending_changes(skill))
    return skill


def update_skill(skill: Skill, name: str, category: str | None, actor: User | None) -> dict:
    """Rename or recategorise a skill (same uniqueness rule); returns what changed."""
    skill.name = _checked_name(name, skill)
    skill.category = _checked_category(category)
    changes = pending_changes(skill)
    if changes:
        record_event(actor, "skill.updated", skill, changes)
    return changes


def skill_usage(skill: Skill) -> tuple[int, int]:
    """(engineers, staffing requests) that use the skill, archived engineers included."""
    engineers = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(EngineerSkill)
        .where(EngineerSkill.skill_id == skill.id)
    )
    requests = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(RequestSkill)
        .where(RequestSkill.skill_id == skill.id)
    )
    return engineers or 0, requests or 0


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def delete_skill(skill: Skill, actor: User | None) -> None:
    """Remove a skill nobody uses; refused (saying how many use it) otherwise."""
    engineers, requests = skill_usage(skill)
    if engineers or requests:
        users = [
            _counted(n, noun)
            for n, noun in ((engineers, "engineer"), (requests, "staffing request"))
            if n
        ]
        raise DomainError(
            f"{skill.name} is used by {' and '.join(users)}; "
            "remove it from them before deleting it."
        )
    record_event(
        actor,
        "skill.deleted",
        skill,
        {"name": [skill.name, None], "category": [skill.category, None]},
    )
    db.session.delete(skill)


def pick_or_create(
    skill_id: int | None, new_name: str | None, actor: User | None
) -> tuple[Skill, bool]:
    """(skill, created): the one chosen by id, or typed by name and created when it is new."""
    if new_name and normalise_name(new_name):
        if existing := find_skill(new_name):
            return existing, False
        return create_skill(new_name, None, actor), True
    if skill_id is None:
        raise DomainError("Choose a skill from the catalogue or type a new one.")
    skill = db.session.get(Skill, skill_id)
    if skill is None:
        raise DomainError("That skill is no longer in the catalogue.")
    return skill, False


def all_skills() -> list[Skill]:
    """The whole catalogue by name (it is small: tens to a few hundred skills)."""
    return list(db.session.scalars(sa.select(Skill).order_by(sa.func.lower(Skill.name))))


def catalogue() -> list[CatalogueRow]:
    """Every skill with its active engineers and requests, in one grouped query."""
    engineers = (
        sa.select(EngineerSkill.skill_id, sa.func.count().label("n"))
        .join(Engineer, Engineer.id == EngineerSkill.engineer_id)
        .where(Engineer.is_active.is_(True))
        .group_by(EngineerSkill.skill_id)
        .subquery()
    )
    requests = (
        sa.select(RequestSkill.skill_id, sa.func.count().label("n"))
        .group_by(RequestSkill.skill_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Skill, sa.func.coalesce(engineers.c.n, 0), sa.func.coalesce(requests.c.n, 0))
        .outerjoin(engineers, engineers.c.skill_id == Skill.id)
        .outerjoin(requests, requests.c.skill_id == Skill.id)
        .order_by(sa.func.lower(Skill.name))
    )
    return [CatalogueRow(skill, n_engineers, n_requests) for skill, n_engineers, n_requests in rows]


def categories() -> list[str]:
    """The categories in use, for type-ahead."""
    return list(
        db.session.scalars(
            sa.select(Skill.category)
            .where(Skill.category.is_not(None))
            .distinct()
            .order_by(Skill.category)
        )
    )


def set_engineer_skill(
    engineer: Engineer, skill: Skill, level: int, years: int | None, actor: User
) -> dict:
    """Add a skill to a profile or change its level/years; returns {name: [old, new]}."""
    if not 1 <= level <= 5:
        raise DomainError("A skill level is from 1 (basic) to 5 (expert).")
    if years is not None and not 0 <= years <= MAX_SKILL_YEARS:
        raise DomainError(f"Years with a skill are from 0 to {MAX_SKILL_YEARS}.")
    held = next((es for es in engineer.skills if es.skill_id == skill.id), None)
    if held is None:
        engineer.skills.append(EngineerSkill(skill=skill, level=level, years=years))
        changes = {skill.name: [None, level]}
        record_event(actor, "engineer.skill_added", engineer, changes)
        return changes
    changes = {}
    if held.level != level:
        changes[skill.name] = [held.level, level]
    if held.years != years:
        changes[f"{skill.name} (years)"] = [held.years, years]
    held.level, held.years = level, years
    if changes:
        record_event(actor, "engineer.skill_changed", engineer, changes)
    return changes


def remove_engineer_skill(engineer: Engineer, skill_id: int, actor: User) -> str:
    """Take a skill off a profile; returns its name."""
    held = next((es for es in engineer.skills if es.skill_id == skill_id), None)
    if held is None:
        raise DomainError(f"{engineer.full_name} does not have that skill (any more).")
    name = held.skill.name
    engineer.skills.remove(held)
    record_event(actor, "engineer.skill_removed", engineer, {name: [held.level, None]})
    return name


def ranked_skills(
    engineer: Engineer, limit: int | None = None, *, keep: int | None = None
) -> list[EngineerSkill]:
    """An engineer's skills, strongest first, then by name (load the skills first); `keep`,
    a skill id, is among them whatever its rank (the skill a list is filtered by)."""
    ordered = sorted(engineer.skills, key=lambda es: (-es.level, es.skill.name.lower()))
    if not limit:
        return ordered
    shown = ordered[:limit]
    kept = next((es for es in ordered[limit:] if es.skill_id == keep), None)
    return shown[:-1] + [kept] if kept is not None else shown
