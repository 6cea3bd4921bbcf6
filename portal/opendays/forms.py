"""The open-day forms: sign-up, confirmation code, feedback, a new event, and the lists'
query parameters, read into typed values.

The rules of a sign-up and of an event (name, phone, identity, party size, times, capacity)
are signups.validate_signup and services.validate_event, which the service applies; the forms
read the request and give those checks what was typed.
"""

from __future__ import annotations

from portal.core.formfields import PortalForm, RowId, Text, WholeNumber
from portal.opendays.services.events import EventInput
from portal.opendays.services.signups import SignupInput

# How far back the civil-affairs list of institutions without an open day may look (days).
OVERDUE_DAYS_MAX = 3650


class ListQuery(PortalForm):
    """The public list and calendar: ?district=<id>&month=YYYY-MM."""

    district = RowId()
    month = Text()


class OverdueQuery(PortalForm):
    """?days=N: the period without an open day (blank or out of range: the configured one)."""

    days = WholeNumber(low=1, high=OVERDUE_DAYS_MAX)


class SignupForm(PortalForm):
    """A member of the public signing up for an event."""

    name = Text()
    phone = Text()
    identity = Text()
    party_size = Text()

    def to_input(self) -> SignupInput:
        return SignupInput(name=self.name.data, phone=self.phone.data,
                           identity=self.identity.data, party_size=self.party_size.data)

    def shown_again(self) -> dict[str, str]:
        """What goes back into the page: everything typed, the phone too (the same browser
        sent it a moment ago; the answer is no-store and nothing logs it)."""
        return self.texts()


class CodeForm(PortalForm):
    """The SMS code that confirms a sign-up."""

    code = Text()


class FeedbackForm(PortalForm):
    """A participant's rating and words after the event."""

    rating = Text()
    text = Text()


class EventForm(PortalForm):
    """An institution announcing an open day (times as <input type="datetime-local"> sends)."""

    title = Text()
    starts_at = Text()
    ends_at = Text()
    signup_deadline = Text()
    place = Text()
    capacity = Text()
    description = Text()
    accessibility_notes = Text()

    def to_input(self) -> EventInput:
        return EventInput(**self.texts())
