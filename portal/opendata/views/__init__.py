"""Web views: parse the request (forms), call a service, render."""
