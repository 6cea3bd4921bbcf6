"""Settings: the only module that reads the environment."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _var_dir() -> Path:
    return Path(os.environ.get("PORTAL_VAR_DIR", PROJECT_ROOT / "var"))


def _secret_key(var_dir: Path) -> str:
    """Return PORTAL_SECRET_KEY, or one generated once and kept under var/ (mode 600)."""
    key = os.environ.get("PORTAL_SECRET_KEY")
    if key:
        return key
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


DEFAULT_HOTLINE_HOURS = "工作日 9:00–17:00，节假日值班"



class SettingError(ValueError):
    """A PORTAL_* variable with a value the portal cannot use; the message names it."""


SMS_SENDERS = ("log", "tencent", "signed-http")
SMTP_SECURITY = ("none", "starttls", "ssl")


@dataclass(frozen=True)
class NotifySettings:
    """How notifications leave the portal (portal/core/notify/; README, configuration). No
    seed sets any of these: the daily cap and retries are the operator's guard against cost
    and against flooding one phone."""

    # SMS: `log` (development default), `tencent` (Tencent Cloud SMS through its SDK) or
    # `signed-http` (a city's own gateway, portal/core/notify/signed_http.py).
    sms_sender: str = "log"
    sms_sign_name: str = ""  # 签名, approved by the provider
    # (message type, template code) from PORTAL_SMS_TEMPLATE_<TYPE>.
    sms_templates: tuple[tuple[str, str], ...] = ()
    sms_daily_cap: int = 10  # per phone per local day; over it a message is skipped
    sms_max_attempts: int = 5
    sms_retry_seconds: int = 60  # first retry's delay, doubled each time (at most an hour)
    sms_timeout: int = 10
    tencent_secret_id: str = ""
    tencent_secret_key: str = ""
    tencent_app_id: str = ""  # SmsSdkAppId
    tencent_region: str = "ap-guangzhou"
    tencent_endpoint: str = "https://sms.tencentcloudapi.com"
    http_url: str = ""
    http_key_id: str = ""
    http_secret: str = ""
    # E-mail: PORTAL_NOTIFICATION_SENDER=smtp:HOST[:PORT], with these.
    smtp_security: str = "none"  # none | starttls | ssl (implicit TLS, port 465)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "noreply@localhost"
    smtp_ca_file: str = ""  # a CA bundle to verify the relay with instead of the system's

    def template_code(self, kind: str) -> str:
        return dict(self.sms_templates).get(kind, "")

@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    index_dir: Path
    secret_key: str
    timezone: ZoneInfo
    var_dir: Path
    hotline: str = "12349"
    # When the hotline answers, shown beside the number wherever it is shown (PORTAL_HOTLINE_HOURS;
    # empty shows no hours). No seed fixes the hours: the default is the text the footer always
    # had, because promising 7×24 for a line that is not staffed at night would mislead callers;
    # a 12345-style line sets PORTAL_HOTLINE_HOURS="7×24 小时".
    hotline_hours: str = DEFAULT_HOTLINE_HOURS
    city_name: str = "示范市"
    session_max_age: int = 8 * 3600
    secure_cookies: bool = False
    max_form_bytes: int = 2 * 1024 * 1024
    # The largest registry file the back office takes (PORTAL_IMPORT_MAX_MB; /admin/imports).
    # Not from a seed: a 50,000-row institutions workbook is about 6 MB.
    import_max_mb: int = 20
    # How long an outbox row may sit un-run before the sweeper re-enqueues it.
    outbox_stale_seconds: int = 120
    # A claimed outbox row's lease (PORTAL_OUTBOX_LEASE_SECONDS): renewed by the claiming
    # worker every quarter of it; a row not renewed for this long is given back (its worker
    # died). With the sweep every PORTAL_OUTBOX_SWEEP_SECONDS a dead worker's jobs run again
    # within lease + sweep (issue 18: within a minute, not 12). Not from a seed.
    outbox_lease_seconds: int = 30
    outbox_sweep_seconds: int = 20
    # The recurring-job scheduler (`portal cron`) is reported stale by /healthz and the
    # operations page when its last tick is older than this (PORTAL_SCHEDULER_STALE_SECONDS).
    scheduler_stale_seconds: int = 180
    notification_sender: str = "log"
    # The complaint clock (SPEC §3): answer within N working days, sign within M.
    answer_working_days: int = 5
    urgent_working_days: int = 1
    sign_working_days: int = 1
    # Answered complaints without the complainant's feedback close after this many days.
    feedback_window_days: int = 15
    # A tracking link's lifetime (PORTAL_TRACKING_LINK_DAYS; complaints/services/tokens.py).
    tracking_link_days: int = 45
    # Penalties, substantiated complaints and 履约评价 keep an institution off the red list for
    # this many days (portal/institutions/rules/credit.py). No seed names a period: one year, the
    # seeds' annual cycle of supervision (酉阳县 (六) 每年综合督导; 内政办发〔2021〕26号 年度抽查计划).
    credit_lookback_days: int = 365
    queues: tuple[str, ...] = field(default=("default", "index"))
    # Compliance-check thresholds from PORTAL_CHECK_<FIELD> (see portal/institutions/rules/thresholds.py).
    check_thresholds: tuple[tuple[str, str], ...] = ()
    # The public address of the portal, for links sent by SMS or e-mail (PORTAL_BASE_URL).
    base_url: str = "http://127.0.0.1:8000"
    # Host names the portal answers to (PORTAL_ALLOWED_HOSTS plus PORTAL_BASE_URL's host):
    # links are built from the request's Host header, so any other host is refused.
    allowed_hosts: tuple[str, ...] = ("127.0.0.1",)
    # PORTAL_BENCH_ROUTES=1 mounts the benchmark's ceiling route (bench/); never in production.
    bench_routes: bool = False
    # `portal backup` writes here and keeps the newest N files (PORTAL_BACKUP_DIR/_KEEP).
    backup_dir: Path | None = None
    backup_keep: int = 14
    # Request threads per web process (PORTAL_WEB_THREADS). Few: under load, requests wait
    # their turn in order instead of sharing the GIL 40 ways (bench/RESULTS.md: p99 of the
    # institution page 172 → 102 ms at the same load, and more requests/s).
    web_threads: int = 4
    # Addresses (or networks) of the reverse proxies whose X-Forwarded-For is believed
    # (PORTAL_TRUSTED_PROXIES; none by default): uvicorn rewrites the client address from the
    # header only for a connection from one of these, so a forged header from anyone else does
    # not change the address the rate limits count.
    trusted_proxies: tuple[str, ...] = ()
    notify: NotifySettings = field(default_factory=NotifySettings)
    # The directory's map view and the coordinate picker (issue 21): a tile URL template with
    # {z}, {x}, {y} (and optionally {s}) and the attribution its licence requires
    # (PORTAL_MAP_TILES, PORTAL_MAP_ATTRIBUTION); none by default, so no page loads anything from
    # another site and the list works offline. PORTAL_MAP_DATUM: gcj02 for Chinese tile services
    # (stored coordinates stay WGS-84 and are converted to draw: portal/institutions/rules/geo.py).
    map_tiles: str = ""
    map_attribution: str = ""
    map_datum: str = "wgs84"

    @property
    def map_origin(self) -> str:
        """The tile server's scheme and host (what the map pages' CSP lets images come from)."""
        if not self.map_tiles:
            return ""
        parts = urlsplit(self.map_tiles)
        host = "*." + parts.netloc.split(".", 1)[1] if "{s}" in parts.netloc else parts.netloc
        return f"{parts.scheme}://{host}"
    # Photos with a complaint (complaints/rules/photos.py): each file as sent at most
    # PORTAL_PHOTO_MAX_MB, all of one complaint's together PORTAL_PHOTO_TOTAL_MB; kept until
    # PORTAL_PHOTO_RETENTION_DAYS after the complaint closed. No seed sets them.
    photo_max_mb: int = 8
    photo_total_mb: int = 20
    photo_retention_days: int = 365

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _text(name: str, default: str, longest: int) -> str:
    """A short line of text shown on pages; too long a value stops start-up with its name."""
    raw = os.environ.get(name, default).strip()
    if len(raw) > longest:
        raise SettingError(f"{name} must be at most {longest} characters, got {len(raw)}")
    return raw


# A tracking link outlives the feedback window by this much: the answer clock (5 working days)
# and an extension (up to 10) take up to about 3 calendar weeks, more over a Golden Week.
TRACKING_LINK_MARGIN_DAYS = 30


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    if not (raw.strip().isascii() and raw.strip().isdigit()) or int(raw) < 1:
        raise SettingError(f"{name} must be a whole number of at least 1, got {raw!r}")
    return int(raw)


def _allowed_hosts(base_url: str) -> tuple[str, ...]:
    """PORTAL_BASE_URL's host, then PORTAL_ALLOWED_HOSTS (comma-separated; `*.example.org`
    allows the subdomains, `*` any host: only behind a proxy that checks Host itself)."""
    base_host = urlsplit(base_url).hostname
    if not base_host:
        raise SettingError(f"PORTAL_BASE_URL must be an absolute URL, got {base_url!r}")
    extra = [h.strip().lower() for h in os.environ.get("PORTAL_ALLOWED_HOSTS", "").split(",")]
    return tuple(dict.fromkeys([base_host, *(h for h in extra if h)]))


def _trusted_proxies() -> tuple[str, ...]:
    """PORTAL_TRUSTED_PROXIES: comma-separated IP addresses or networks (10.0.0.0/8); a bad
    one stops start-up with the variable's name. `*` (trust anyone) is refused: it would let
    every client choose the address it is counted under."""
    found = []
    for raw in os.environ.get("PORTAL_TRUSTED_PROXIES", "").split(","):
        value = raw.strip()
        if not value:
            continue
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise SettingError(f"PORTAL_TRUSTED_PROXIES must list IP addresses or networks, "
                             f"got {value!r}") from None
        found.append(value)
    return tuple(found)


def _choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    raw = os.environ.get(name, default).strip().lower()
    if raw not in allowed:
        raise SettingError(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
    return raw


def _notify_settings() -> NotifySettings:
    env = os.environ.get
    prefix = "PORTAL_SMS_TEMPLATE_"
    return NotifySettings(
        sms_sender=_choice("PORTAL_SMS_SENDER", "log", SMS_SENDERS),
        sms_sign_name=env("PORTAL_SMS_SIGN_NAME", "").strip(),
        sms_templates=tuple(sorted((name.removeprefix(prefix).lower(), value.strip())
                                   for name, value in os.environ.items()
                                   if name.startswith(prefix) and value.strip())),
        sms_daily_cap=_positive_int("PORTAL_SMS_DAILY_CAP", 10),
        sms_max_attempts=_positive_int("PORTAL_SMS_MAX_ATTEMPTS", 5),
        sms_retry_seconds=_positive_int("PORTAL_SMS_RETRY_SECONDS", 60),
        sms_timeout=_positive_int("PORTAL_SMS_TIMEOUT", 10),
        tencent_secret_id=env("PORTAL_TENCENT_SMS_SECRET_ID", ""),
        tencent_secret_key=env("PORTAL_TENCENT_SMS_SECRET_KEY", ""),
        tencent_app_id=env("PORTAL_TENCENT_SMS_APP_ID", ""),
        tencent_region=env("PORTAL_TENCENT_SMS_REGION", "ap-guangzhou"),
        tencent_endpoint=env("PORTAL_TENCENT_SMS_ENDPOINT", "https://sms.tencentcloudapi.com"),
        http_url=env("PORTAL_SMS_HTTP_URL", ""),
        http_key_id=env("PORTAL_SMS_HTTP_KEY_ID", ""),
        http_secret=env("PORTAL_SMS_HTTP_SECRET", ""),
        smtp_security=_choice("PORTAL_SMTP_SECURITY", "none", SMTP_SECURITY),
        smtp_user=env("PORTAL_SMTP_USER", ""),
        smtp_password=env("PORTAL_SMTP_PASSWORD", ""),
        smtp_from=env("PORTAL_SMTP_FROM", "noreply@localhost"),
        smtp_ca_file=env("PORTAL_SMTP_CA_FILE", ""),
    )
MAP_DATUMS = ("wgs84", "gcj02")


def _map_tiles() -> tuple[str, str, str]:
    """PORTAL_MAP_TILES (an http(s) URL template naming {z}, {x} and {y}), the attribution it
    needs (required with it) and PORTAL_MAP_DATUM; a bad value stops start-up with its name."""
    tiles = os.environ.get("PORTAL_MAP_TILES", "").strip()
    attribution = _text("PORTAL_MAP_ATTRIBUTION", "", 200)
    datum = os.environ.get("PORTAL_MAP_DATUM", "wgs84").strip().lower()
    if datum not in MAP_DATUMS:
        raise SettingError(f"PORTAL_MAP_DATUM must be one of {', '.join(MAP_DATUMS)}, got {datum!r}")
    if not tiles:
        return "", "", datum
    parts = urlsplit(tiles)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(
            part not in tiles for part in ("{z}", "{x}", "{y}")):
        raise SettingError("PORTAL_MAP_TILES must be an http(s) URL template with {z}, {x} and "
                           f"{{y}}, got {tiles!r}")
    if not attribution:
        raise SettingError("PORTAL_MAP_ATTRIBUTION must name the tiles' source and licence when "
                           "PORTAL_MAP_TILES is set")
    return tiles, attribution, datum


def load_settings() -> Settings:
    var_dir = _var_dir()
    base_url = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    feedback_window_days = _positive_int("PORTAL_FEEDBACK_WINDOW_DAYS", 15)
    default_db = f"sqlite:///{var_dir / 'portal.sqlite3'}"
    map_tiles, map_attribution, map_datum = _map_tiles()
    return Settings(
        database_url=os.environ.get("PORTAL_DATABASE_URL", default_db),
        redis_url=os.environ.get("PORTAL_REDIS_URL", "redis://127.0.0.1:6379/0"),
        index_dir=Path(os.environ.get("PORTAL_INDEX_DIR", var_dir / "index")),
        secret_key=_secret_key(var_dir),
        timezone=ZoneInfo(os.environ.get("PORTAL_TIMEZONE", "Asia/Shanghai")),
        var_dir=var_dir,
        hotline=os.environ.get("PORTAL_HOTLINE", "12349"),
        hotline_hours=_text("PORTAL_HOTLINE_HOURS", DEFAULT_HOTLINE_HOURS, 40),
        city_name=os.environ.get("PORTAL_CITY_NAME", "示范市"),
        session_max_age=_positive_int("PORTAL_SESSION_MAX_AGE", 8 * 3600),
        secure_cookies=_bool("PORTAL_SECURE_COOKIES", False),
        notification_sender=os.environ.get("PORTAL_NOTIFICATION_SENDER", "log"),
        bench_routes=_bool("PORTAL_BENCH_ROUTES", False),
        base_url=base_url,
        allowed_hosts=_allowed_hosts(base_url),
        answer_working_days=_positive_int("PORTAL_ANSWER_WORKING_DAYS", 5),
        urgent_working_days=_positive_int("PORTAL_URGENT_WORKING_DAYS", 1),
        sign_working_days=_positive_int("PORTAL_SIGN_WORKING_DAYS", 1),
        feedback_window_days=feedback_window_days,
        tracking_link_days=_positive_int("PORTAL_TRACKING_LINK_DAYS",
                                         feedback_window_days + TRACKING_LINK_MARGIN_DAYS),
        credit_lookback_days=_positive_int("PORTAL_CREDIT_LOOKBACK_DAYS", 365),
        backup_dir=Path(os.environ.get("PORTAL_BACKUP_DIR", var_dir / "backups")),
        backup_keep=_positive_int("PORTAL_BACKUP_KEEP", 14),
        web_threads=_positive_int("PORTAL_WEB_THREADS", 4),
        import_max_mb=_positive_int("PORTAL_IMPORT_MAX_MB", 20),
        trusted_proxies=_trusted_proxies(),
        notify=_notify_settings(),
        map_tiles=map_tiles, map_attribution=map_attribution, map_datum=map_datum,
        photo_max_mb=_positive_int("PORTAL_PHOTO_MAX_MB", 8),
        photo_total_mb=_positive_int("PORTAL_PHOTO_TOTAL_MB", 20),
        photo_retention_days=_positive_int("PORTAL_PHOTO_RETENTION_DAYS", 365),
        outbox_lease_seconds=_positive_int("PORTAL_OUTBOX_LEASE_SECONDS", 30),
        outbox_sweep_seconds=_positive_int("PORTAL_OUTBOX_SWEEP_SECONDS", 20),
        scheduler_stale_seconds=_positive_int("PORTAL_SCHEDULER_STALE_SECONDS", 180),
        check_thresholds=tuple(
            sorted(
                (name.removeprefix("PORTAL_CHECK_").lower(), value)
                for name, value in os.environ.items()
                if name.startswith("PORTAL_CHECK_")
            )
        ),
    )


_settings: Settings | None = None


def get_settings() -> Settings:
    """Process-wide settings, read once."""
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings


def reset_settings() -> None:
    """Forget cached settings (tests change the environment between apps)."""
    global _settings
    _settings = None
