"""Skills: on an engineer's profile, and the catalogue itself — with the refusals."""

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import AuditEvent, EngineerSkill, Skill
from tracker.services import DomainError
from tracker.services.skills import create_skill


def skill_form(**kw):
    data = {"skill_id": "", "new_skill": "", "level": "4", "years": "3"}
    data.update(kw)
    return data


def events(action: str) -> list[AuditEvent]:
    stmt = sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(db.session.scalars(stmt))


def held(engineer) -> dict[str, tuple[int, int | None]]:
    rows = db.session.execute(
        sa.select(Skill.name, EngineerSkill.level, EngineerSkill.years)
        .join(Skill, Skill.id == EngineerSkill.skill_id)
        .where(EngineerSkill.engineer_id == engineer.id)
    )
    return {name: (level, years) for name, level, years in rows}


def skill_named(name: str) -> Skill | None:
    return db.session.scalar(sa.select(Skill).where(sa.func.lower(Skill.name) == name.lower()))


# --- skills on a profile -------------------------------------------------------------------


def test_add_a_catalogue_skill_then_change_its_level(client, auth, make):
    am = auth.login_as("account_manager")
    ana = make.engineer()
    pytorch = make.skill("PyTorch", category="ML frameworks")
    response = client.post(
        f"/engineers/{ana.id}/skills", data=skill_form(skill_id=pytorch.id), follow_redirects=True
    )
    assert "PyTorch saved at level 4." in response.text
    assert "ML frameworks" in response.text  # the skills table shows the category
    assert held(ana) == {"PyTorch": (4, 3)}
    (added,) = events("engineer.skill_added")
    assert (added.entity_id, added.actor_id, added.changes) == (
        ana.id,
        am.id,
        {"PyTorch": [None, 4]},
    )

    client.post(f"/engineers/{ana.id}/skills", data=skill_form(skill_id=pytorch.id, level="5"))
    assert held(ana) == {"PyTorch": (5, 3)}
    assert events("engineer.skill_changed")[0].changes == {"PyTorch": [4, 5]}


def test_typing_a_new_skill_adds_it_to_the_catalogue(client, auth, make):
    auth.login_as("account_manager")
    ana = make.engineer()
    response = client.post(
        f"/engineers/{ana.id}/skills",
        data=skill_form(new_skill="  Vector   DBs ", level="3"),
        follow_redirects=True,
    )
    assert "Vector DBs added to the catalogue" in response.text
    assert held(ana) == {"Vector DBs": (3, 3)}
    assert events("skill.created")[0].changes["name"] == [None, "Vector DBs"]


def test_typing_an_existing_skill_in_another_case_reuses_it(client, auth, make):
    auth.login_as("account_manager")
    ana = make.engineer()
    make.skill("PyTorch")
    client.post(f"/engineers/{ana.id}/skills", data=skill_form(new_skill="pytorch"))
    assert held(ana) == {"PyTorch": (4, 3)}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Skill)) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"level": "6"}, "A skill level is from 1 (basic) to 5 (expert)."),
        ({"level": "0"}, "A skill level is from 1 (basic) to 5 (expert)."),
        ({"level": ""}, "A skill level is from 1 (basic) to 5 (expert)."),
        ({"level": "9" * 400}, "Enter a smaller number."),
        ({"years": "-1"}, "Years are from 0 to 60."),
        ({"skill_id": ""}, "Choose a skill from the catalogue or type a new one."),
    ],
)
def test_bad_skill_input_re_renders_the_profile_and_changes_nothing(
    client, auth, make, data, message
):
    auth.login_as("account_manager")
    ana = make.engineer(full_name="Ana Souza", skills={"Python": 3})
    python = make.skill("Python")
    response = client.post(
        f"/engineers/{ana.id}/skills", data=skill_form(**{"skill_id": python.id, **data})
    )
    assert response.status_code == 400
    assert message in response.text
    assert "Ana Souza" in response.text  # the profile, not a bare error page
    assert held(ana) == {"Python": (3, 3)}
    assert events("engineer.skill_changed") == []


def test_a_new_skill_name_with_a_colon_is_refused_and_nothing_is_created(client, auth, make):
    auth.login_as("account_manager")
    ana = make.engineer()
    response = client.post(f"/engineers/{ana.id}/skills", data=skill_form(new_skill="C++:17"))
    assert response.status_code == 409
    assert "cannot contain" in response.text
    assert skill_named("C++:17") is None
    assert held(ana) == {}


def test_remove_a_skill(client, auth, make):
    auth.login_as("account_manager")
    ana = make.engineer(skills={"Python": 5, "Go": 2})
    go = make.skill("Go")
    response = client.post(f"/engineers/{ana.id}/skills/{go.id}/remove", follow_redirects=True)
    assert "Go removed from the profile." in response.text
    assert held(ana) == {"Python": (5, 3)}
    assert events("engineer.skill_removed")[0].changes == {"Go": [2, None]}
    again = client.post(f"/engineers/{ana.id}/skills/{go.id}/remove", follow_redirects=True)
    assert "does not have that skill" in again.text


def test_profile_shows_skill_history(client, auth, make):
    auth.login_as("account_manager")
    ana = make.engineer()
    python = make.skill("Python")
    client.post(f"/engineers/{ana.id}/skills", data=skill_form(skill_id=python.id, level="2"))
    client.post(f"/engineers/{ana.id}/skills", data=skill_form(skill_id=python.id, level="4"))
    page = client.get(f"/engineers/{ana.id}").text
    assert "Engineer skill changed" in page
    assert "<del>2</del> → 4" in page


# --- the catalogue -------------------------------------------------------------------------


def test_catalogue_lists_skills_with_active_engineer_counts(client, auth, make):
    auth.login_as("account_manager")
    make.engineer(skills={"PyTorch": 4})
    make.engineer(skills={"PyTorch": 5, "Go": 3})
    make.engineer(skills={"PyTorch": 2}, is_active=False)  # archived: not counted
    make.skill("Rust", category="Systems")
    pytorch = make.skill("PyTorch")
    make.request(skills={"PyTorch": (3, True)})
    page = client.get("/engineers/skills").text
    row = page[page.index(f'id="skill-{pytorch.id}"') :]
    row = row[: row.index("</tr>")]
    assert f'href="/engineers/?skill_id={pytorch.id}">2</a>' in row
    assert ">1</td>" in row  # one request
    assert "Rust" in page
    assert "Systems" in page


def test_create_skill_and_refuse_a_duplicate_in_another_case(client, auth):
    auth.login_as("account_manager")
    response = client.post(
        "/engineers/skills", data={"name": "PyTorch", "category": "ML frameworks"}
    )
    assert response.status_code == 302
    response = client.post("/engineers/skills", data={"name": "pytorch", "category": ""})
    assert response.status_code == 409
    assert "The skill PyTorch already exists." in response.text
    assert 'value="pytorch"' in response.text  # the form is kept
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Skill)) == 1
    assert len(events("skill.created")) == 1


def test_create_skill_needs_a_name(client, auth):
    auth.login_as("account_manager")
    response = client.post("/engineers/skills", data={"name": "", "category": "x"})
    assert response.status_code == 400
    assert "This field is required." in response.text


def test_rename_and_recategorise_with_history(client, auth, make):
    auth.login_as("account_manager")
    skill = make.skill("pytorch", category="AI")
    page = client.get(f"/engineers/skills?edit={skill.id}").text
    assert f'action="/engineers/skills/{skill.id}"' in page
    response = client.post(
        f"/engineers/skills/{skill.id}", data={"name": "PyTorch", "category": "ML frameworks"}
    )
    assert response.status_code == 302  # a change of case only is the same skill
    db.session.refresh(skill)
    assert (skill.name, skill.category) == ("PyTorch", "ML frameworks")
    assert events("skill.updated")[0].changes == {
        "name": ["pytorch", "PyTorch"],
        "category": ["AI", "ML frameworks"],
    }


def test_rename_to_another_skills_name_is_refused(client, auth, make):
    auth.login_as("account_manager")
    make.skill("PyTorch")
    torch = make.skill("Torch")
    response = client.post(f"/engineers/skills/{torch.id}", data={"name": "PYTORCH"})
    assert response.status_code == 409
    assert "The skill PyTorch already exists." in response.text
    assert 'value="PYTORCH"' in response.text
    db.session.refresh(torch)
    assert torch.name == "Torch"


def test_delete_an_unused_skill(client, auth, make):
    auth.login_as("account_manager")
    cobol = make.skill("COBOL")
    response = client.post(f"/engineers/skills/{cobol.id}/delete", follow_redirects=True)
    assert "COBOL deleted from the catalogue." in response.text
    assert skill_named("COBOL") is None
    assert events("skill.deleted")[0].changes["name"] == ["COBOL", None]


def test_a_skill_in_use_cannot_be_deleted(client, auth, make):
    auth.login_as("account_manager")
    make.engineer(skills={"PyTorch": 4})
    make.engineer(skills={"PyTorch": 3}, is_active=False)
    make.request(skills={"PyTorch": (3, True)})
    pytorch = make.skill("PyTorch")
    response = client.post(f"/engineers/skills/{pytorch.id}/delete", follow_redirects=True)
    assert "PyTorch is used by 2 engineers and 1 staffing request" in response.text
    assert skill_named("PyTorch") is not None
    assert events("skill.deleted") == []


@pytest.mark.parametrize("edit", [str(2**63), "²", "-1", "abc"])
def test_catalogue_ignores_an_edit_id_no_skill_can_have(client, auth, make, edit):
    auth.login_as("account_manager")
    make.skill("PyTorch")
    response = client.get("/engineers/skills", query_string={"edit": edit})
    assert response.status_code == 200
    assert "PyTorch" in response.text


def test_catalogue_service_rules(app):
    create_skill("Vector DBs", None, actor=None)
    with pytest.raises(DomainError, match="The skill Vector DBs already exists."):
        create_skill(" vector  dbs ", None, actor=None)
    with pytest.raises(DomainError, match="at most 60 characters"):
        create_skill("x" * 61, None, actor=None)
    with pytest.raises(DomainError, match="cannot contain"):
        create_skill("Go;Rust", None, actor=None)


def test_catalogue_queries_do_not_grow_with_skills(client, auth, make, count_queries):
    auth.login_as("account_manager")
    for i in range(5):
        make.engineer(skills={f"Skill {i}": 3})
    with count_queries() as small:
        assert client.get("/engineers/skills").status_code == 200
    for i in range(5, 40):
        make.engineer(skills={f"Skill {i}": 3, "Skill 0": 2})
    with count_queries() as large:
        page = client.get("/engineers/skills").text
    assert "Skill 39" in page
    assert large.count == small.count


def test_client_users_cannot_change_the_catalogue(client, auth, make):
    skill = make.skill("PyTorch")
    auth.login_as("client")
    assert client.post("/engineers/skills", data={"name": "Go"}).status_code == 403
    assert client.post(f"/engineers/skills/{skill.id}", data={"name": "X"}).status_code == 403
    assert client.post(f"/engineers/skills/{skill.id}/delete").status_code == 403
    assert skill_named("PyTorch") is not None
