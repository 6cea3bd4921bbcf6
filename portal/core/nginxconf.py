"""Debian's nginx in front of the web processes with deploy/nginx/portal.conf, the production
site file, unchanged but for its addresses and paths: used by the deploy test
(tests/browser/test_deploy_nginx.py) and the benchmark stack (bench/stack.py), so both measure
and test what a city runs.

`config` writes an nginx.conf whose http block is what Debian's /etc/nginx/nginx.conf gives a
site (its dynamic modules, brotli among them, and mime types) with pid, logs and temporary
files under a throwaway prefix; `command` runs nginx in the foreground on it.
"""

from __future__ import annotations

import os
from pathlib import Path

from portal.core.settings import PROJECT_ROOT

NGINX = "/usr/sbin/nginx"
SITE = PROJECT_ROOT / "deploy" / "nginx" / "portal.conf"


def substitute(text: str, old: str, new: str) -> str:
    """`text` with `old` replaced; an error when the site file no longer contains `old`."""
    if old not in text:
        raise ValueError(f"deploy/nginx/portal.conf no longer contains {old!r}: update "
                         "portal/core/nginxconf.py")
    return text.replace(old, new)


def site(listen: int, upstream: int, repo: Path = PROJECT_ROOT) -> str:
    """The production site listening on 127.0.0.1:`listen`, proxying to 127.0.0.1:`upstream`,
    with the checkout `repo` in place of /opt/portal."""
    text = SITE.read_text()
    text = substitute(text, "listen 80;", f"listen 127.0.0.1:{listen};")
    text = substitute(text, "listen [::]:80;", "")
    text = substitute(text, "server 127.0.0.1:8000", f"server 127.0.0.1:{upstream}")
    return substitute(text, "/opt/portal/", f"{repo}/")


def config(prefix: Path, listen: int, upstream: int, workers: int = 2,
           access_log: bool = True) -> Path:
    """Write `prefix`/nginx.conf (and site.conf) and return its path. Debian's default is
    `worker_processes auto` (one per core), 768 connections a worker and an access log."""
    (prefix / "site.conf").write_text(site(listen, upstream))
    temps = "\n".join(f"  {kind}_temp_path {prefix}/{kind};"
                      for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # Loaded as Debian's nginx.conf does (modules-enabled), by absolute path: those files name
    # them relative to the default prefix.
    modules = "\n".join(
        line.replace("modules/", "/usr/lib/nginx/modules/", 1)
        for path in sorted(Path("/etc/nginx/modules-enabled").glob("*.conf"))
        for line in path.read_text().splitlines() if line.startswith("load_module"))
    log = f"access_log {prefix}/access.log;" if access_log else "access_log off;"
    conf = prefix / "nginx.conf"
    conf.write_text(f"""
{"user root;" if os.geteuid() == 0 else ""}
{modules}
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 768; }}
http {{
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  {log}
{temps}
  include {prefix}/site.conf;
}}
""")
    return conf


def command(prefix: Path, conf: Path) -> list[str]:
    """nginx in the foreground on `conf` (stop it with SIGTERM or SIGQUIT)."""
    return [NGINX, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf),
            "-g", "daemon off;"]
