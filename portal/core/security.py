"""Web security: CSRF tokens, request body limits and security headers, as ASGI middleware."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie

from itsdangerous import BadSignature, Signer
from starlette.datastructures import FormData, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_COOKIE = "portal_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Machine APIs authenticate with API keys, never with the session cookie, so CSRF cannot apply.
CSRF_EXEMPT_PREFIXES = ("/api/", "/open311/")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def csp_with_images_from(origin: str) -> str:
    """The CSP of a page that shows map tiles from `origin` (PORTAL_MAP_TILES): images from it
    too, nothing else loosened. The page sets it as its own header (the middleware keeps it)."""
    return CSP.replace("img-src 'self' data:", f"img-src 'self' data: {origin}")


SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    # The directory's "按距离排序（使用我的位置）" asks this page's own origin for the position,
    # only when pressed (issue 21); no frame or other origin may.
    "permissions-policy": "camera=(), microphone=(), geolocation=(self)",
    "cross-origin-opener-policy": "same-origin",
}


CSRF_REFUSED = "表单已过期或来源不明（安全校验未通过），请返回上一页刷新后重新提交。"
# A public form whose check failed because the browser's cookie expired or went missing (a
# session cookie ends with the browser; an elder may type for an hour) must not lose what was
# typed: its route is marked with KEEPS_FORM (`@view(form_again=...)`), the middleware lets
# the refused request through with STALE_FORM set in the request state, and the view shows
# the form again with the typed values, a fresh token and an explanation, storing nothing.
KEEPS_FORM = "form_again"
STALE_FORM = "stale_form"


class CsrfRejected(Exception):
    """A state-changing form arrived without a valid CSRF token."""


class BodyTooLarge(Exception):
    """A request body exceeded the configured limit; `message` (when set) says which."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class FormRejected(Exception):
    """A form the parser refuses: a field over 1 MB (413), too many fields or files, or
    unreadable multipart data (400). `message` is shown to the user."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# Starlette's form parser limits (Request.form defaults), named in the messages.
MAX_FORM_FIELDS = 1000
MAX_FIELD_MB = 1


def form_rejected(parser_message: str) -> FormRejected:
    """The user's message for a MultiPartException of starlette's form parsers."""
    if "maximum size" in parser_message:
        return FormRejected(413, f"某一项填写的内容超过了 {MAX_FIELD_MB} MB，请删减后再提交。")
    if parser_message.startswith("Too many"):
        return FormRejected(400, f"表单的项目太多（上限 {MAX_FORM_FIELDS} 项），请检查后再提交。")
    return FormRejected(400, "提交的表单格式无法识别，请返回上一页刷新后重新提交。")


async def read_form(request: Request) -> FormData:
    """request.form(), its parser's refusals as FormRejected (instead of Starlette's 400 with
    an English reason, or, inside middleware, a failed CSRF check)."""
    try:
        return await request.form(max_fields=MAX_FORM_FIELDS, max_files=MAX_FORM_FIELDS,
                                  max_part_size=MAX_FIELD_MB * 1024 * 1024)
    except MultiPartException as exc:
        raise form_rejected(exc.message) from None
    except HTTPException as exc:  # what request.form raises once the app is in the scope
        raise form_rejected(str(exc.detail)) from None


def csrf_signer(secret_key: str) -> Signer:
    return Signer(secret_key, salt="portal.csrf")


def csrf_token_for(secret_key: str, browser_secret: str) -> str:
    """The token a form carries: the browser's cookie secret, signed (so a planted cookie fails)."""
    return csrf_signer(secret_key).sign(browser_secret).decode()


def csrf_token_valid(secret_key: str, browser_secret: str | None, token: str | None) -> bool:
    if not browser_secret or not token:
        return False
    try:
        value = csrf_signer(secret_key).unsign(token).decode()
    except BadSignature:
        return False
    return hmac.compare_digest(value, browser_secret)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:
                return None
            if name in jar:
                return jar[name].value
    return None


ErrorRenderer = Callable[[Scope, int], Awaitable[ASGIApp]]


def _endpoint_in(routes: list, scope: Scope) -> object | None:
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.FULL:
            if isinstance(route, Mount):
                return _endpoint_in(route.routes, {**scope, **child})
            return getattr(route, "endpoint", None)
    return None


def keeps_form(scope: Scope) -> bool:
    """Whether the route a request goes to shows its form again when the CSRF check fails
    (its endpoint carries KEEPS_FORM). Unknown routes, htmx requests and anything that is not
    a form post: no (the plain refusal)."""
    headers = dict(scope.get("headers", []))
    if headers.get(b"hx-request") == b"true":
        return False
    content_type = headers.get(b"content-type", b"").decode("latin-1")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/")):
        return False
    router = getattr(scope.get("app"), "router", None)
    endpoint = _endpoint_in(router.routes, scope) if router is not None else None
    return getattr(endpoint, KEEPS_FORM, None) is not None


class FormGuardMiddleware:
    """Buffers unsafe requests (bounded), checks their CSRF token, then replays the body.

    Every browser gets a random CSRF secret in an HttpOnly cookie; templates put the signed
    secret in each form (`csrf_token`), htmx sends it as the X-CSRF-Token header.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        secret_key: str,
        max_body: int,
        secure_cookies: bool,
        on_error: Callable[[Request, Exception], Awaitable[ASGIApp]],
        uploads: dict[str, tuple[int, str]] | None = None,
    ) -> None:
        self.app = app
        self.secret_key = secret_key
        self.max_body = max_body
        # Paths that take a file upload: their own limit and the message when it is passed.
        self.uploads = uploads or {}
        self.secure = secure_cookies
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        browser_secret = _cookie(scope, CSRF_COOKIE)
        new_secret = None
        if not browser_secret or len(browser_secret) != 43:
            browser_secret = new_secret = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_token"] = csrf_token_for(
            self.secret_key, browser_secret
        )

        send_wrapper = send
        if new_secret:

            async def send_wrapper(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = MutableHeaders(scope=message)
                    flags = "; Secure" if self.secure else ""
                    headers.append(
                        "set-cookie",
                        f"{CSRF_COOKIE}={new_secret}; Path=/; HttpOnly; SameSite=Lax{flags}",
                    )
                await send(message)

        if scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send_wrapper)
            return

        try:
            body = await self._read_body(scope, receive)
            if not scope["path"].startswith(CSRF_EXEMPT_PREFIXES):
                try:
                    await self._check_csrf(scope, body, None if new_secret else browser_secret)
                except CsrfRejected:
                    if not keeps_form(scope):
                        raise
                    # The view answers with its form again (read-only, status 403); the
                    # token in the state is this browser's current one, so the next post passes.
                    scope["state"][STALE_FORM] = True
        except (CsrfRejected, BodyTooLarge, FormRejected) as exc:
            response = await self.on_error(Request(scope), exc)
            await response(scope, receive, send_wrapper)
            return

        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send_wrapper)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        limit, refusal = self.uploads.get(scope["path"], (self.max_body, ""))
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared and declared.isascii() and declared.isdigit() and int(declared) > limit:
            raise BodyTooLarge(refusal)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(refusal)
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        return b"".join(chunks)

    async def _check_csrf(self, scope: Scope, body: bytes, browser_secret: str | None) -> None:
        headers = dict(scope.get("headers", []))
        token = headers.get(CSRF_HEADER.encode(), b"").decode("latin-1") or None
        if token is None:
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            if content_type.startswith(("application/x-www-form-urlencoded", "multipart/")):
                delivered = False

                async def once() -> Message:
                    nonlocal delivered
                    if delivered:
                        return {"type": "http.disconnect"}
                    delivered = True
                    return {"type": "http.request", "body": body, "more_body": False}

                try:
                    form = await read_form(Request(scope, once))
                    value = form.get(CSRF_FIELD)
                    token = value if isinstance(value, str) else None
                    await form.close()
                except FormRejected:
                    raise  # answered as what it is, not as a failed CSRF check
                except Exception:
                    token = None
        if not csrf_token_valid(self.secret_key, browser_secret, token):
            raise CsrfRejected()


HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    """Adds CSP and the other security headers to every response; HSTS when served over HTTPS
    (PORTAL_SECURE_COOKIES=1: cookies that only travel over HTTPS mean the site is HTTPS)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.headers = {**SECURITY_HEADERS, **({"strict-transport-security": HSTS} if hsts else {})}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


HEALTH_PATHS = ("/healthz", "/healthz/scheduler")


class AllowedHostsMiddleware:
    """Refuses (400) a request whose Host header is not one of the portal's names.

    Starlette builds absolute URLs from the Host header: the templates' links, its own
    trailing-slash redirects. A forged Host would put another site into them (poisoned caches,
    links to an attacker). /healthz and /healthz/scheduler are exempt: load balancers and
    monitors probe them by address, and they build no links.
    """

    def __init__(self, app: ASGIApp, *, allowed_hosts: tuple[str, ...]) -> None:
        self.app = app
        self.checked = TrustedHostMiddleware(app, allowed_hosts=list(allowed_hosts),
                                             www_redirect=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in HEALTH_PATHS:
            await self.app(scope, receive, send)
            return
        await self.checked(scope, receive, send)
