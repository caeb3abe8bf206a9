"""Sign-in and password forms."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from tracker.forms import StrongPassword


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
