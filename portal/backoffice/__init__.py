"""Institution back office: disclosure drafts, review, publishing and change history."""
