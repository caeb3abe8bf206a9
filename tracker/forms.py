"""Form pieces shared by every blueprint."""

from wtforms.validators import ValidationError

from tracker.services.passwords import password_problems


class StrongPassword:
    """Field validator: the password rules of tracker.services.passwords, in words."""

    def __init__(self, email_field: str | None = None):
        self.email_field = email_field

    def __call__(self, form, field):
        email = getattr(form, self.email_field).data if self.email_field else None
        if problems := password_problems(field.data or "", email=email):
            raise ValidationError(" ".join(problems))
