"""Forms of the CSV import: the upload, and the confirmation that carries the checked file."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, SubmitField
from wtforms.validators import DataRequired


class ImportUploadForm(FlaskForm):
    file = FileField(
        "CSV file",
        validators=[
            FileRequired("Choose a CSV file to check."),
            FileAllowed(["csv"], "Only .csv files can be imported."),
        ],
        description="UTF-8, comma-separated, at most 8 MB. Nothing is saved until you confirm.",
    )
    submit = SubmitField("Check the file")


class ImportConfirmForm(FlaskForm):
    # The checked CSV, signed with the app's secret key so the import is what was previewed.
    payload = HiddenField(validators=[DataRequired()])
    submit = SubmitField("Import")
