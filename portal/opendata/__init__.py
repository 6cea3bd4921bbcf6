"""Open data, exports and supervision efficiency indicators (issue 6 items 4 and 5)."""
