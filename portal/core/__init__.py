"""Infrastructure shared by every domain: settings, database, web endpoints, security, jobs, notifications, audit and privacy."""
