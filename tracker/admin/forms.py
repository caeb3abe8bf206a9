"""Forms for managing users."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from tracker.forms import StrongPassword
from tracker.models.enums import Role


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField("Search", validators=[Optional(), Length(max=100)])
    role = SelectField("Role", choices={"": "All roles", **Role.choices()}, default="")


class UserForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=Role.choices(), validators=[DataRequired()])
    client_id = SelectField(
        "Client company",
        coerce=lambda v: int(v) if v not in (None, "", "None") else None,
        description="Required for client users; ignored for agency staff.",
    )
    is_active = BooleanField("Active (may sign in)", default=True)
    submit = SubmitField("Save")

    def validate_client_id(self, field):
        if self.role.data == Role.CLIENT and not field.data:
            raise ValidationError("Choose the client company this user belongs to.")


class NewUserForm(UserForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), StrongPassword(email_field="email")],
        description="At least 12 characters; common passwords are refused.",
    )
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )
    submit = SubmitField("Create user")


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[DataRequired(), StrongPassword()],
        description="At least 12 characters; common passwords are refused.",
    )
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )
    submit = SubmitField("Set password")
