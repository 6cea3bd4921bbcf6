"""Complaint hotline: intake, routing, the response clock, queues."""
