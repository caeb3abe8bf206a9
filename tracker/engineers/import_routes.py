"""CSV import pages: upload, preview what would change, confirm exactly what was previewed."""

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.utils import secure_filename

from tracker.auth.access import staff_required
from tracker.engineers import bp
from tracker.engineers.import_forms import ImportConfirmForm, ImportUploadForm
from tracker.forms import add_error
from tracker.services import DomainError, transaction
from tracker.services.engineer_import import (
    ImportFileError,
    ImportPlan,
    apply_import,
    decode_csv,
    plan_import,
)

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "engineers.csv"
SIGNING_SALT = "engineer-import"
PREVIEW_MAX_AGE = 2 * 60 * 60  # seconds a preview can be confirmed for
SHOWN_ROWS = 200  # per table on the preview; the counts cover every row


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SIGNING_SALT)


def _upload_page(form: ImportUploadForm, status: int = 200):
    return render_template("engineers/import_upload.html", form=form), status


def _preview_page(plan: ImportPlan, text: str, filename: str, status: int = 200):
    confirm = None
    if plan.is_clean and plan.to_import:
        confirm = ImportConfirmForm(formdata=None)
        confirm.payload.data = _signer().dumps({"csv": text, "filename": filename})
        confirm.submit.label.text = f"Import {plan.to_import} engineer" + (
            "" if plan.to_import == 1 else "s"
        )
    return render_template(
        "engineers/import_preview.html",
        plan=plan,
        filename=filename,
        confirm=confirm,
        shown=SHOWN_ROWS,
    ), status


def _after_import_url() -> str:
    if "engineers.index" in current_app.view_functions:
        return url_for("engineers.index")
    return url_for("engineers.import_upload")


@bp.route("/import", methods=["GET", "POST"])
@staff_required
def import_upload():
    form = ImportUploadForm()
    if not form.validate_on_submit():
        return _upload_page(form, 400 if form.errors else 200)
    upload = form.file.data
    filename = secure_filename(upload.filename or "") or "engineers.csv"
    try:
        text = decode_csv(upload.read())
        plan = plan_import(text)
    except ImportFileError as e:
        add_error(form.file, str(e))
        return _upload_page(form, 400)
    return _preview_page(plan, text, filename)


@bp.post("/import/confirm")
@staff_required
def import_confirm():
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        abort(
            400,
            "The confirmation was incomplete or its security token expired. Upload the file again.",
        )
    try:
        payload = _signer().loads(form.payload.data or "", max_age=PREVIEW_MAX_AGE)
        text, filename = payload["csv"], payload["filename"]
    except SignatureExpired:
        abort(400, "This preview is more than two hours old. Upload the file again.")
    except (BadSignature, KeyError, TypeError):
        abort(
            400,
            "The import could not be verified: it is not the file that was previewed. "
            "Nothing was saved. Upload the file again.",
        )
    try:
        plan = plan_import(text)
    except ImportFileError as e:
        abort(400, str(e))
    if not plan.is_clean:  # the roster changed since the preview
        return _preview_page(plan, text, filename, 409)
    try:
        with transaction():
            result = apply_import(plan, current_user)
    except DomainError as e:
        flash(str(e), "danger")
        return _upload_page(ImportUploadForm(formdata=None), 409)
    message = f"Imported: {result.created} created, {result.updated} updated."
    if result.unchanged:
        message += f" {result.unchanged} already up to date."
    if result.new_skills:
        message += f" New in the skills catalogue: {', '.join(plan.new_skills[:10])}"
        message += f" and {len(plan.new_skills) - 10} more." if len(plan.new_skills) > 10 else "."
    flash(message, "success")
    return redirect(_after_import_url())


@bp.get("/import/sample.csv")
@staff_required
def import_sample():
    return send_file(
        SAMPLE,
        mimetype="text/csv",
        as_attachment=True,
        download_name="engineers-sample.csv",
    )
