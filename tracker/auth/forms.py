"""Sign-in, password and API token forms."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from tracker.forms import IntegerField, StrongPassword, obeys
from tracker.models.api import TokenScope
from tracker.services.api_tokens import MAX_TOKEN_DAYS, token_days, token_name


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    submit = SubmitField("Sign in")


class ChoosePasswordForm(FlaskForm):
    """An invited user's first password."""

    password = PasswordField(
        "Choose a password",
        validators=[DataRequired(), StrongPassword()],
        description="12 to 128 characters; common passwords are refused.",
    )
    confirm = PasswordField(
        "Repeat it",
        validators=[DataRequired(), EqualTo("password", "The two passwords differ.")],
    )
    submit = SubmitField("Set password and sign in")


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])
    password = PasswordField(
        "New password",
        validators=[DataRequired(), StrongPassword()],
        description="12 to 128 characters; common passwords are refused.",
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", "The two new passwords differ.")],
    )
    submit = SubmitField("Change password")


# Read first, and preselected: a token that may write is a choice made on purpose.
TOKEN_SCOPES = {
    TokenScope.READ.value: "Read: look things up (GET) only",
    TokenScope.WRITE.value: "Write: read, and change what you may change on the pages",
}


class ApiTokenForm(FlaskForm):
    """A new API token of the signed-in user (tracker.services.api_tokens.create_token)."""

    name = StringField(
        "Name",
        validators=[DataRequired("Give the token a name."), obeys(token_name)],
        description="What will use it, e.g. “CRM sync” or “Payroll export”.",
        render_kw={"maxlength": 80, "autocomplete": "off"},
    )
    scope = SelectField("Scope", choices=TOKEN_SCOPES, default=TokenScope.READ.value)
    days = IntegerField(
        "Expires after (days)",
        validators=[Optional(), obeys(token_days)],
        description=f"1 to {MAX_TOKEN_DAYS}; leave empty for a token that lasts until revoked.",
        render_kw={"min": 1, "max": MAX_TOKEN_DAYS, "inputmode": "numeric"},
    )
    submit = SubmitField("Create token")

    def to_input(self) -> dict:
        """The create_token arguments: name, scope, days (None: no expiry)."""
        return {"name": self.name.data or "", "scope": self.scope.data, "days": self.days.data}
