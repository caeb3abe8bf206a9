"""Forms for managing users."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from tracker.forms import StrongPassword, optional_int
from tracker.models.enums import Role
from tracker.services import users


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField("Search", validators=[Optional(), Length(max=100)])
    role = SelectField("Role", choices={"": "All roles", **Role.choices()}, default="")


class UserForm(FlaskForm):
    """A user's name, role, company and access; the view sets the company choices."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    # No role is preselected: a default would create an admin by omission.
    role = SelectField(
        "Role",
        choices={"": "— choose a role —", **Role.choices()},
        validators=[DataRequired("Choose what this user may do.")],
    )
    client_id = SelectField(
        "Client company",
        coerce=optional_int,
        description="Client users only: the company whose portal they see. Staff have none.",
    )
    is_active = BooleanField("Active (may sign in)", default=True)
    submit = SubmitField("Save")

    def validate_client_id(self, field):
        if self.role.data not in Role.values():
            return  # the role's own message says what to do
        if problem := users.company_problem(self.role.data, field.data is not None):
            raise ValidationError(problem)


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
