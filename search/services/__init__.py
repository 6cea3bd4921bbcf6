"""Services: the rules applied to the database, one transaction at a time."""
