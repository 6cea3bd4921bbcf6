"""Open days (开放日): institutions open their doors; the public signs up, attends and rates."""
