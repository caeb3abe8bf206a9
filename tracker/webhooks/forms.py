"""Registering and editing a webhook endpoint."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField, SubmitField, URLField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from tracker.services import DomainError, webhooks


class EventsField(SelectMultipleField):
    """The events, one checkbox each; none is checked unless chosen."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class _EndpointFields(FlaskForm):
    events = EventsField(
        "Events",
        choices=dict(webhooks.EVENTS),
        description="The endpoint receives only the events checked here.",
    )
    description = StringField(
        "Description",
        validators=[Optional(), Length(max=webhooks.MAX_DESCRIPTION_LENGTH)],
        description="What receives them, e.g. “CRM: new placements”.",
        render_kw={"maxlength": webhooks.MAX_DESCRIPTION_LENGTH, "autocomplete": "off"},
    )

    def validate_events(self, field):
        try:
            webhooks.check_events(field.data or [])
        except DomainError as e:
            raise ValidationError(str(e)) from None


class EndpointForm(_EndpointFields):
    """A new endpoint (active from the start). Its URL never changes: register another one."""

    url = URLField(
        "URL",
        validators=[DataRequired("Enter the URL that receives the webhooks.")],
        description="Where the tracker POSTs each event, "
        "e.g. https://crm.example.com/hooks/tracker.",
        render_kw={
            "maxlength": webhooks.MAX_URL_LENGTH,
            "autocomplete": "off",
            "spellcheck": "false",
        },
    )
    submit = SubmitField("Register endpoint")

    def validate_url(self, field):
        try:
            field.data = webhooks.check_url(field.data or "")
        except DomainError as e:
            raise ValidationError(str(e)) from None


class EndpointEditForm(_EndpointFields):
    """What may change once an endpoint exists: its events, description and whether it is on."""

    is_active = BooleanField(
        "Active (send events to it)",
        description="While inactive, no new event is queued for it and queued ones wait.",
    )
    submit = SubmitField("Save")
