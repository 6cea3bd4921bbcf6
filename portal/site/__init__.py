"""The public site's shared pages: home, display preferences, health check."""
