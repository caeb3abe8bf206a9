"""The layers of tracker/, read from the source (issue 13): each rule in one place.

Every .py file under tracker/ is parsed (never imported) and its imports and calls are read:

- nothing in tracker/ imports the benchmarks or the scripts (they use the app, not the reverse);
- the domain and what serves it (services, reports, infra, demo, models) import no blueprint:
  a blueprint is a door onto them, so a dependency the other way round would be a loop;
- views write through `transaction()`: no blueprint module commits, rolls back, adds, deletes
  or flushes on the session itself;
- "staff" (admin + account manager) is spelt out once, as STAFF_ROLES in tracker/models/enums.py.

Each failure names the file and line.
"""

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from config import TestingConfig
from tracker import create_app

ROOT = Path(__file__).resolve().parent.parent
TRACKER = ROOT / "tracker"

# The packages below the blueprints: they may be imported by views, never import them.
LOWER_LAYERS = ("services", "reports", "infra", "demo", "models")
# The areas DESIGN.md lists (plus the notifications inbox). The check itself uses the
# blueprints the app registers, so a new area is covered the day it is registered; this list
# only makes sure that discovery found the ones we know of.
KNOWN_BLUEPRINTS = {
    "admin", "auth", "clients", "dashboard", "engineers", "matching", "me",
    "notifications", "placements", "portal", "requests", "reviews", "timesheets",
}  # fmt: skip
SESSION_WRITES = {"commit", "rollback", "add", "add_all", "delete", "flush", "merge"}
STAFF_SPELLINGS = {
    "admin": {"'admin'", "Role.ADMIN", "Role.ADMIN.value"},
    "account_manager": {
        "'account_manager'",
        "Role.ACCOUNT_MANAGER",
        "Role.ACCOUNT_MANAGER.value",
    },
}
ROLE_DEFINITIONS = TRACKER / "models" / "enums.py"


@dataclass(frozen=True)
class Source:
    path: Path
    module: str  # dotted name: tracker.services.users
    tree: ast.Module

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"

    def where(self, node: ast.AST) -> str:
        return f"{self.path.relative_to(ROOT)}:{node.lineno}"


@cache
def sources() -> tuple[Source, ...]:
    found = []
    for path in sorted(TRACKER.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found.append(Source(path, ".".join(parts), tree))
    return tuple(found)


def report(lines) -> str:
    """One offending place a line, by file and line number."""

    def key(line: str):
        path, _, rest = line.partition(":")
        number = rest.split(":")[0]
        return path, int(number) if number.isdigit() else 0

    return "\n".join(sorted(set(lines), key=key))


def imported_modules(source: Source):
    """(node, dotted module name) for every import of the file, relative ones resolved;
    `from tracker import admin` counts as importing tracker.admin."""
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = source.module.split(".")
                if not source.is_package:
                    package = package[:-1]
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module
            yield node, module
            for alias in node.names:
                yield node, f"{module}.{alias.name}"


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@pytest.fixture(scope="module")
def blueprint_packages() -> set[str]:
    """The packages of the blueprints the app registers (tracker.admin, …): every module in
    one of them is a view module."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://")
    return {bp.import_name for bp in app.blueprints.values() if within(bp.import_name, "tracker")}


def test_the_blueprints_are_found(blueprint_packages):
    assert {f"tracker.{name}" for name in KNOWN_BLUEPRINTS} <= blueprint_packages
    assert "tracker" not in blueprint_packages  # or every module would count as a view


def test_no_module_of_the_app_imports_benchmarks_or_scripts():
    offending = [
        f"{source.where(node)}: imports {module}"
        for source in sources()
        for node, module in imported_modules(source)
        if within(module, "benchmarks") or within(module, "scripts")
    ]
    assert not offending, "tracker/ must not import benchmarks/ or scripts/:\n" + report(offending)


def test_the_lower_layers_import_no_blueprint(blueprint_packages):
    lower = [f"tracker.{name}" for name in LOWER_LAYERS]
    offending = [
        f"{source.where(node)}: {source.module} imports {module}"
        for source in sources()
        if any(within(source.module, layer) for layer in lower)
        for node, module in imported_modules(source)
        if any(within(module, bp) for bp in blueprint_packages)
    ]
    assert not offending, (
        "services, reports, infra, demo and models must not import a blueprint; move what "
        "they need below the blueprints (tracker/infra, tracker/models):\n" + report(offending)
    )


def session_calls(source: Source):
    """(node, method) for every `<something>.session.<method>(…)` call of the file."""
    for node in ast.walk(source.tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "session"
        ):
            yield node, node.func.attr


def test_views_write_only_through_transaction(blueprint_packages):
    offending = [
        f"{source.where(node)}: {ast.unparse(node.func)}()"
        for source in sources()
        if any(within(source.module, bp) for bp in blueprint_packages)
        for node, method in session_calls(source)
        if method in SESSION_WRITES
    ]
    assert not offending, (
        "a view writes through `with transaction():` around a service call (and drops an "
        "unfinished transaction with tracker.services.discard()), never through the session:\n"
        + report(offending)
    )


def staff_role_of(node: ast.AST) -> str | None:
    spelt = ast.unparse(node)
    for role, spellings in STAFF_SPELLINGS.items():
        if spelt in spellings or spelt.replace('"', "'") in spellings:
            return role
    return None


def staff_pairs(source: Source):
    """Literal collections (tuple, list, set) of exactly the two staff roles. The iterable of a
    `for` is left out: going through roles in an order (who to tell first) says nothing about
    who is staff."""
    loop_iterables = {
        id(node.iter)
        for node in ast.walk(source.tree)
        if isinstance(node, ast.For | ast.comprehension)
    }
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set) and id(node) not in loop_iterables:
            roles = {staff_role_of(element) for element in node.elts}
            if roles == set(STAFF_SPELLINGS):
                yield node


def test_staff_roles_are_defined_once():
    definitions = [(source, node) for source in sources() for node in staff_pairs(source)]
    elsewhere = [
        source.where(node) for source, node in definitions if source.path != ROLE_DEFINITIONS
    ]
    assert not elsewhere, (
        "the staff roles are spelt out again; use STAFF_ROLES from tracker.models.enums:\n"
        + report(elsewhere)
    )
    assert len(definitions) == 1, [source.where(node) for source, node in definitions]
    source, node = definitions[0]
    assigned = [
        target.id
        for statement in source.tree.body
        if isinstance(statement, ast.Assign)
        for target in statement.targets
        if isinstance(target, ast.Name) and node in ast.walk(statement)
    ]
    assert assigned == ["STAFF_ROLES"], f"{source.where(node)}: the staff roles' one definition"


def test_the_architecture_checks_catch_what_they_look_for():
    """The readers above find the shapes they are meant to (so a passing run means something)."""
    code = (
        "from tracker.admin import bp\n"
        "from ..auth import access\n"
        "import scripts.seed\n"
        "STAFF = ('admin', Role.ACCOUNT_MANAGER.value)\n"
        "for role in (Role.ACCOUNT_MANAGER, Role.ADMIN):\n"
        "    db.session.commit()\n"
    )
    probe = Source(TRACKER / "services" / "probe.py", "tracker.services.probe", ast.parse(code))
    modules = {module for _node, module in imported_modules(probe)}
    assert {"tracker.admin", "tracker.auth", "tracker.auth.access", "scripts.seed"} <= modules
    assert [method for _node, method in session_calls(probe)] == ["commit"]
    assert [node.lineno for node in staff_pairs(probe)] == [4]
