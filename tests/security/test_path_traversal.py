"""Path traversal on the static files and the open-data downloads: never a file from outside,
never a 500."""

from __future__ import annotations

import pytest

from portal.core.settings import PROJECT_ROOT, get_settings

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ATTEMPTS = [
    "/static/../pyproject.toml",
    "/static/..%2fpyproject.toml",
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/css/..%2f..%2f..%2fpyproject.toml",
    "/static/%2e%2e%5c%2e%2e%5cpyproject.toml",
    "/static/....//....//etc/passwd",
    "/static//etc/passwd",
    "/opendata/..%2f..%2fetc%2fpasswd.csv",
    "/opendata/%2e%2e%2fsecret_key.csv",
    "/opendata/institutions.%2e%2e%2f%2e%2e%2fpyproject.toml",
    "/opendata/institutions/dictionary.%2e%2e%2fsecret_key",
    "/opendata/..%2f..%2fvar%2fsecret_key/dictionary.csv",
]


@sqlite_only
@pytest.mark.parametrize("path", ATTEMPTS)
def test_traversal_attempts_find_nothing(client, path):
    response = client.get(path)
    assert response.status_code in (400, 404), (path, response.status_code)
    body = response.text
    secret = get_settings().secret_key
    assert "[project]" not in body and "root:x:" not in body and secret not in body


@sqlite_only
def test_the_real_files_are_served_so_the_404s_mean_something(client):
    assert client.get("/static/css/site.css").status_code == 200
    assert (PROJECT_ROOT / "pyproject.toml").exists()
    assert client.get("/opendata/institutions.csv").status_code == 200
