"""The review forms: a member of the public's review, a moderation decision, the institution's
reply. The rules (ratings 1–5, text length, the phone) are services.validate's, applied by the
service; these forms read the request into what it takes."""

from __future__ import annotations

from portal.core.formfields import PortalForm, Text
from portal.reviews.models import DIMENSIONS
from portal.reviews.services import ReviewInput


class ReviewForm(PortalForm):
    """A review: free text, name, phone, and one rating per dimension (fields added below)."""

    text = Text()
    reviewer_name = Text()
    phone = Text()

    def to_input(self, institution_id: int) -> ReviewInput:
        return ReviewInput(
            institution_id=institution_id,
            ratings={column: self[column].data for column, _ in DIMENSIONS},
            text=self.text.data, phone=self.phone.data, reviewer_name=self.reviewer_name.data,
        )

    def shown_again(self) -> dict[str, str]:
        """What goes back into the page: everything typed, the phone too (the same browser
        sent it a moment ago; the answer is no-store, and only the phone's hash is stored)."""
        return self.texts()


for _column, _label in DIMENSIONS:
    setattr(ReviewForm, _column, Text(_label))


class ModerationForm(PortalForm):
    decision = Text()
    reason = Text()


class ReplyForm(PortalForm):
    reply = Text()
