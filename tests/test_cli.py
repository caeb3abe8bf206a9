"""`flask create-user`: a user who can sign in, and clear refusals."""

import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import User


def create_user(runner, *args, password="a-long-enough-passphrase"):
    return runner.invoke(args=["create-user", *args], input=f"{password}\n{password}\n")


def test_create_user_asks_for_the_password_and_the_user_can_sign_in(runner, client):
    result = create_user(
        runner, "--email", "Ops@Agency.example", "--name", "Olga Ops", "--role", "admin"
    )
    assert result.exit_code == 0, result.output
    assert "Created admin ops@agency.example." in result.output
    response = client.post(
        "/login", data={"email": "ops@agency.example", "password": "a-long-enough-passphrase"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/"


def test_create_client_user_needs_an_existing_client(runner, make):
    make.client(name="Acme Robotics")
    missing = create_user(runner, "--email", "c@acme.example", "--name", "C", "--role", "client")
    assert missing.exit_code != 0
    assert "Choose the client company this user belongs to." in missing.output

    unknown = create_user(
        runner,
        "--email",
        "c@acme.example",
        "--name",
        "C",
        "--role",
        "client",
        "--client",
        "Nope Inc",
    )
    assert "No client is named 'Nope Inc'" in unknown.output

    ok = create_user(
        runner,
        "--email",
        "c@acme.example",
        "--name",
        "C",
        "--role",
        "client",
        "--client",
        "Acme Robotics",
    )
    assert ok.exit_code == 0, ok.output
    user = db.session.scalar(sa.select(User).where(User.email == "c@acme.example"))
    assert user.client.name == "Acme Robotics"


def test_short_and_common_passwords_are_refused(runner):
    short = create_user(
        runner, "--email", "a@x.example", "--name", "A", "--role", "admin", password="short"
    )
    assert short.exit_code != 0
    assert "at least 12 characters" in short.output

    common = create_user(
        runner,
        "--email",
        "a@x.example",
        "--name",
        "A",
        "--role",
        "admin",
        password="password1234",
    )
    assert common.exit_code != 0
    assert "too common" in common.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_duplicate_email_is_refused(runner, make):
    make.user(email="taken@example.com")
    result = create_user(runner, "--email", "TAKEN@example.com", "--name", "B", "--role", "admin")
    assert result.exit_code != 0
    assert "already exists" in result.output


def test_unknown_role_is_refused(runner):
    result = create_user(runner, "--email", "a@x.example", "--name", "A", "--role", "boss")
    assert result.exit_code != 0
    assert "Invalid value for '--role'" in result.output


def test_create_engineer_user_names_a_roster_engineer_and_lands_in_their_area(runner, make, client):
    engineer = make.engineer(email="ana.souza@mail.example", full_name="Ana Souza")
    result = create_user(
        runner, "--email", "ana.souza@mail.example", "--name", "Ana Souza", "--role", "engineer"
    )
    assert result.exit_code != 0
    assert "Engineer accounts belong to an engineer of the roster" in result.output
    result = create_user(
        runner, "--email", "ana@x.example", "--name", "Ana", "--role", "engineer",
        "--engineer", "nobody@mail.example",
    )  # fmt: skip
    assert "No engineer of the roster has the email nobody@mail.example." in result.output
    result = create_user(
        runner, "--email", "ana.souza@mail.example", "--name", "Ana Souza", "--role", "engineer",
        "--engineer", "ANA.SOUZA@mail.example",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "ana.souza@mail.example"))
    assert user.engineer_id == engineer.id
    again = create_user(
        runner, "--email", "other@mail.example", "--name", "Other", "--role", "engineer",
        "--engineer", "ana.souza@mail.example",
    )  # fmt: skip
    assert "Ana Souza already has an account (ana.souza@mail.example)." in again.output
    response = client.post(
        "/login", data={"email": "ana.souza@mail.example", "password": "a-long-enough-passphrase"}
    )
    assert response.headers["Location"] == "/me/"


def test_only_an_engineer_account_names_an_engineer(runner, make):
    make.engineer(email="bo@mail.example")
    result = create_user(
        runner, "--email", "bo@agency.example", "--name", "Bo", "--role", "account_manager",
        "--engineer", "bo@mail.example",
    )  # fmt: skip
    assert result.exit_code != 0
    assert "Only an engineer's account names an engineer." in result.output
    assert db.session.scalar(sa.select(User).where(User.email == "bo@agency.example")) is None
