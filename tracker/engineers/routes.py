"""Engineer pages for agency staff: the roster, profiles, vetting, skills and the catalogue."""

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from tracker.auth.access import staff_required
from tracker.engineers import bp
from tracker.engineers.forms import (
    EngineerFilterForm,
    EngineerForm,
    EngineerSkillForm,
    SkillEditForm,
    SkillForm,
    VettingForm,
)
from tracker.extensions import db
from tracker.forms import COUNTRY_CHOICES, parse_id, required
from tracker.infra.audit import timeline
from tracker.infra.cache import cached
from tracker.infra.csv_export import csv_response
from tracker.infra.listing import parse_sort
from tracker.infra.pagination import paginate
from tracker.models import Engineer, Skill
from tracker.models.enums import VettingStatus
from tracker.services import DomainError, engineers, skills, transaction
from tracker.services.engineer_csv import COLUMNS, SCORE_COLUMNS, engineer_row
from tracker.services.timezones import utc_offset
from tracker.templating import render_fragment, shared_fragment
from tracker.text import country_name


def _filter_options() -> tuple[tuple[tuple[str, str], ...], tuple[str, ...], tuple[str, ...]]:
    """The catalogue's skills (id, name), the roster's zones and countries: the same for all
    staff, so read once per change of the data (tracker.infra.cache)."""
    return cached(
        "engineer_filter_options",
        lambda: (
            tuple((str(s.id), s.name) for s in skills.all_skills()),
            tuple(engineers.roster_timezones()),
            tuple(engineers.roster_countries()),
        ),
    )


def _filter_form() -> EngineerFilterForm:
    form = EngineerFilterForm(request.args)
    skill_options, zones, countries = _filter_options()
    form.skill_id.choices = {"": "Any skill", **dict(skill_options)}
    form.timezone.choices = {"": "Any time zone", **{z: z for z in zones}}
    # Offered: the countries on the roster; any ISO country still filters (to nobody).
    offered = set(countries)
    if (asked := request.args.get("country", "")) in COUNTRY_CHOICES:
        offered.add(asked)
    form.country.choices = {"": "All countries", **dict(
        sorted(((c, country_name(c)) for c in offered), key=lambda item: item[1]))}  # fmt: skip
    form.validate()  # a bad value drops its own filter, see to_filters()
    return form


def _sort():
    return parse_sort(request.args.get("sort"), engineers.SORTS, "name")


@bp.get("/")
@staff_required
def index():
    today = date.today()
    # The page below the navigation is the same for all staff: it depends on the query
    # string, the data, the day (availability) and the zones' offsets now (local hours).
    offsets_now = tuple(utc_offset(z) for z in _filter_options()[1])
    content = shared_fragment(
        "engineers.index",
        (today, offsets_now, *request.args.items(multi=True)),
        lambda: _content(today),
    )
    return render_template("engineers/index.html", content=content)


def _content(today: date) -> str:
    """The filter bar, the roster's table and its pager for this query string."""
    form = _filter_form()
    sort = _sort()
    filters = form.to_filters()
    page = paginate(engineers.engineer_list(filters, sort))
    return render_fragment(
        "engineers/_content.html",
        page=page,
        form=form,
        sort=sort,
        export_args={k: v for k, v in request.args.items() if k not in ("page", "per_page")},
        top_skills={e.id: skills.ranked_skills(e, 3, keep=filters.skill_id) for e in page.items},
        offsets={z: utc_offset(z) for z in {e.timezone for e in page.items}},
        roster_empty=not page.items and engineers.roster_is_empty(),
        bookings=engineers.bookings_on([e.id for e in page.items], today),
        today=today,
    )


@bp.get("/export.csv")
@staff_required
def export():
    filters, sort = _filter_form().to_filters(), _sort()
    rows = (engineer_row(e) for e in engineers.engineers_for_export(filters, sort))
    filename = f"engineers-{date.today().isoformat()}.csv"
    return csv_response(filename, (*COLUMNS, *SCORE_COLUMNS), rows)


def _render_form(form: EngineerForm, engineer: Engineer | None, status: int = 200, **extra):
    return render_template("engineers/form.html", form=form, engineer=engineer, **extra), status


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def create():
    form = EngineerForm()
    if not form.validate_on_submit():
        return _render_form(form, None, 400 if form.errors else 200)
    try:
        with transaction():
            engineer = engineers.create_engineer(form.to_input(), current_user)
    except engineers.DuplicateEngineer as e:
        return _render_form(form, None, 409, duplicate=e)
    except DomainError as e:
        flash(str(e), "danger")
        return _render_form(form, None, 409)
    flash(f"{engineer.full_name} added to the roster as sourced.", "success")
    return redirect(url_for("engineers.detail", engineer_id=engineer.id))


@bp.route("/<int:engineer_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(engineer_id: int):
    engineer = db.get_or_404(Engineer, engineer_id)
    form = EngineerForm(obj=engineer)
    if not form.validate_on_submit():
        return _render_form(form, engineer, 400 if form.errors else 200)
    try:
        with transaction():
            changes = engineers.update_engineer(
                engineer, form.to_input(), current_user, form.version_id.data
            )
    except engineers.DuplicateEngineer as e:
        return _render_form(form, db.get_or_404(Engineer, engineer_id), 409, duplicate=e)
    except DomainError as e:
        flash(str(e), "danger")
        return _render_form(form, db.get_or_404(Engineer, engineer_id), 409)
    flash("Profile saved." if changes else "Nothing changed.", "success" if changes else "info")
    return redirect(url_for("engineers.detail", engineer_id=engineer.id))


def _skill_choices(blank: str) -> dict[str, str]:
    return {"": blank, **{str(s.id): s.name for s in skills.all_skills()}}


def _status_choices(engineer: Engineer) -> dict[str, str]:
    return {s: VettingStatus(s).label for s in engineers.next_statuses(engineer)}


def _profile(engineer: Engineer, *, skill_form=None, vetting_form=None, status: int = 200):
    """The profile page; a form passed in is the one just submitted, kept with its errors."""
    skill_form = skill_form or EngineerSkillForm(formdata=None)
    skill_form.skill_id.choices = _skill_choices("— choose —")
    vetting_form = vetting_form or VettingForm(formdata=None, obj=engineer)
    vetting_form.status.choices = _status_choices(engineer)
    return render_template(
        "engineers/detail.html",
        engineer=engineer,
        country_name=country_name(engineer.country),
        utc_offset=utc_offset(engineer.timezone),
        skills=skills.ranked_skills(engineer),
        placements=engineers.engineer_placements(engineer),
        bookings=engineers.bookings_on([engineer.id], date.today()),
        proposals=engineers.engineer_proposals(engineer),
        events=timeline(engineer),
        account=engineer.user,
        skill_form=skill_form,
        vetting_form=vetting_form,
        score_labels=engineers.SCORE_LABELS,
        today=date.today(),
    ), status


def _to_profile(engineer_id: int, anchor: str | None = None):
    url = url_for("engineers.detail", engineer_id=engineer_id)
    return redirect(f"{url}#{anchor}" if anchor else url)


@bp.get("/<int:engineer_id>")
@staff_required
def detail(engineer_id: int):
    return _profile(db.get_or_404(Engineer, engineer_id))


@bp.post("/<int:engineer_id>/vetting")
@staff_required
def vetting(engineer_id: int):
    engineer = db.get_or_404(Engineer, engineer_id)
    form = VettingForm()
    # Any status passes the form, so the pipeline itself explains a move it refuses.
    form.status.choices = VettingStatus.choices()
    if not form.validate_on_submit():
        return _profile(engineer, vetting_form=form, status=400)
    try:
        with transaction():
            engineers.move_vetting(engineer, form.to_input(), current_user, form.version_id.data)
    except DomainError as e:
        flash(str(e), "danger")
        return _profile(db.get_or_404(Engineer, engineer_id), vetting_form=form, status=409)
    words = engineers.status_words(engineer.vetting_status)
    flash(f"{engineer.full_name} is now {words}.", "success")
    return _to_profile(engineer_id, "vetting")


@bp.post("/<int:engineer_id>/archive")
@staff_required
def archive(engineer_id: int):
    engineer = db.get_or_404(Engineer, engineer_id)
    try:
        with transaction():
            engineers.archive_engineer(engineer, current_user)
    except DomainError as e:
        flash(str(e), "danger")
    else:
        flash(f"{engineer.full_name} archived. They no longer appear on the roster.", "success")
    return _to_profile(engineer_id)


@bp.post("/<int:engineer_id>/restore")
@staff_required
def restore(engineer_id: int):
    engineer = db.get_or_404(Engineer, engineer_id)
    try:
        with transaction():
            engineers.restore_engineer(engineer, current_user)
    except DomainError as e:
        flash(str(e), "danger")
    else:
        flash(f"{engineer.full_name} is back on the roster.", "success")
    return _to_profile(engineer_id)


@bp.post("/<int:engineer_id>/skills")
@staff_required
def skill_set(engineer_id: int):
    engineer = db.get_or_404(Engineer, engineer_id)
    form = EngineerSkillForm()
    form.skill_id.choices = _skill_choices("— choose —")
    if not form.validate_on_submit():
        return _profile(engineer, skill_form=form, status=400)
    try:
        with transaction():
            skill, is_new = skills.pick_or_create(
                form.skill_id.data, form.new_skill.data, current_user
            )
            changes = skills.set_engineer_skill(
                engineer, skill, required(form.level.data), form.years.data, current_user
            )
    except DomainError as e:
        flash(str(e), "danger")
        return _profile(db.get_or_404(Engineer, engineer_id), skill_form=form, status=409)
    if is_new:
        flash(f"{skill.name} added to the catalogue; give it a category there.", "info")
    if changes:
        flash(f"{skill.name} saved at level {form.level.data}.", "success")
    else:
        flash(f"{skill.name} was already at level {form.level.data}.", "info")
    return _to_profile(engineer_id, "skills")


@bp.post("/<int:engineer_id>/skills/<int:skill_id>/remove")
@staff_required
def skill_remove(engineer_id: int, skill_id: int):
    engineer = db.get_or_404(Engineer, engineer_id)
    try:
        with transaction():
            name = skills.remove_engineer_skill(engineer, skill_id, current_user)
    except DomainError as e:
        flash(str(e), "warning")
    else:
        flash(f"{name} removed from the profile.", "success")
    return _to_profile(engineer_id, "skills")


def _catalogue(*, create_form=None, edit_form=None, editing: int | None = None, status=200):
    """The catalogue page; a form passed in is the one just submitted, kept with its errors."""
    if editing is not None and edit_form is None:
        skill = db.session.get(Skill, editing)
        edit_form = SkillEditForm(formdata=None, obj=skill) if skill else None
    return render_template(
        "engineers/skills.html",
        rows=skills.catalogue(),
        categories=skills.categories(),
        create_form=create_form or SkillForm(formdata=None),
        edit_form=edit_form,
        editing=editing if edit_form else None,
    ), status


@bp.route("/skills", methods=["GET", "POST"], endpoint="skills")
@staff_required
def catalogue():
    if request.method == "GET":
        return _catalogue(editing=request.args.get("edit", type=parse_id))
    form = SkillForm()
    if not form.validate_on_submit():
        return _catalogue(create_form=form, status=400)
    try:
        with transaction():
            skill = skills.create_skill(required(form.name.data), form.category.data, current_user)
    except DomainError as e:
        flash(str(e), "danger")
        return _catalogue(create_form=form, status=409)
    flash(f"{skill.name} added to the catalogue.", "success")
    return redirect(url_for("engineers.skills"))


@bp.post("/skills/<int:skill_id>")
@staff_required
def skill_update(skill_id: int):
    skill = db.get_or_404(Skill, skill_id)
    form = SkillEditForm()
    if not form.validate_on_submit():
        return _catalogue(edit_form=form, editing=skill_id, status=400)
    try:
        with transaction():
            changes = skills.update_skill(
                skill, required(form.name.data), form.category.data, current_user
            )
    except DomainError as e:
        flash(str(e), "danger")
        return _catalogue(edit_form=form, editing=skill_id, status=409)
    flash(
        f"{skill.name} saved." if changes else "Nothing changed.", "success" if changes else "info"
    )
    return redirect(url_for("engineers.skills"))


@bp.post("/skills/<int:skill_id>/delete")
@staff_required
def skill_delete(skill_id: int):
    skill = db.get_or_404(Skill, skill_id)
    name = skill.name
    try:
        with transaction():
            skills.delete_skill(skill, current_user)
    except DomainError as e:
        flash(str(e), "danger")
    else:
        flash(f"{name} deleted from the catalogue.", "success")
    return redirect(url_for("engineers.skills"))
