"""The one way to write a page or API endpoint: a sync handler run in the thread pool.

`@view(roles=...)` parses the form (async), then in a worker thread opens a database session,
loads the signed-in user and checks the role before calling the handler with a `Ctx`.
The allowed roles are kept on the endpoint so the access-control tests can read them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from portal.accounts.models import User
from portal.accounts.rules.roles import Role
from portal.accounts.services import AccountService
from portal.core.db import read_only, session_factory
from portal.core.formfields import MAX_ROW_ID, parse_whole
from portal.core.security import CSRF_REFUSED, KEEPS_FORM, STALE_FORM, TAKES_UPLOADS, read_form
from portal.core.settings import Settings, get_settings
from portal.core.templating import templates
from portal.core.tokens import TokenInvalid, TokenService

log = logging.getLogger(__name__)

SESSION_COOKIE = "portal_session"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Viewer:
    """What templates know of the signed-in user: plain values that outlive the DB session
    (an error page may render after a rollback, when ORM attributes are expired)."""

    id: int
    username: str
    display_name: str
    role: str
    department_id: int | None
    department_name: str
    institution_id: int | None
    last_login_at: object

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @classmethod
    def of(cls, user: User) -> Viewer:
        return cls(
            id=user.id, username=user.username, display_name=user.display_name, role=user.role,
            department_id=user.department_id,
            department_name=user.department.name if user.department else "",
            institution_id=user.institution_id, last_login_at=user.last_login_at,
        )


class LoginRequired(Exception):
    """The page needs a signed-in user; the handler map redirects to the login page."""


@dataclass
class Ctx:
    request: Request
    db: Session
    settings: Settings
    user: User | None
    form: FormData = field(default_factory=FormData)
    cookies_to_set: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    # The form is shown again after a failed CSRF check (`view(form_again=...)`): pages say
    # why at the top of the form (templates/_form_errors.html).
    stale_form: bool = False

    @property
    def is_htmx(self) -> bool:
        return self.request.headers.get("hx-request") == "true"

    def render(self, template: str, status_code: int = 200, **context: Any) -> Response:
        context = {"stale_form": self.stale_form, **context}
        return templates.TemplateResponse(self.request, template, context, status_code=status_code)

    def redirect(self, url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)

    def url(self, name: str, **params: Any) -> str:
        return str(self.request.url_for(name, **params).path)

    def json(self, data: Any, status_code: int = 200) -> JSONResponse:
        return JSONResponse(data, status_code=status_code)

    def page_param(self, name: str = "page", last: int = 100_000) -> int:
        """A 1-based page number from the query string; junk becomes 1."""
        number = parse_whole(self.request.query_params.get(name, "1"), 1, 999_999)
        return min(number, last) if number else 1

    def api_error(self, status: int, message: str, field: str | None = None) -> JSONResponse:
        """The API error shape: {"error": {"status", "message", "field"?}}."""
        error: dict[str, Any] = {"status": status, "message": message}
        if field:
            error["field"] = field
        return JSONResponse({"error": error}, status_code=status)

    def field(self, name: str) -> str:
        value = self.form.get(name)
        return value.strip() if isinstance(value, str) else ""


NUL_MESSAGE = "提交的内容含有无法识别的控制字符，请删除后重试。"


def _has_nul(request: Request, form: FormData) -> bool:
    """A NUL character anywhere in the path, query or form text.

    PostgreSQL cannot store NUL in text (a 500 otherwise) and no person types one, so such a
    request is refused with a 400 on both engines alike.
    """
    texts = [request.scope.get("path", ""), *request.query_params.keys(),
             *request.query_params.values(), *request.path_params.values(), *form.keys()]
    texts += [v for v in form.values() if isinstance(v, str)]
    return any("\x00" in t for t in texts if isinstance(t, str))


def session_tokens(settings: Settings) -> TokenService:
    return TokenService(settings.secret_key, "session", settings.session_max_age)


def _load_user(request: Request, db: Session, settings: Settings, api: bool) -> User | None:
    accounts = AccountService(db)
    if api:
        auth = request.headers.get("authorization", "")
        presented = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        presented = presented or request.headers.get("x-api-key", "")
        return accounts.api_key_user(presented) if presented else None
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        session_id = session_tokens(settings).loads(token)
    except TokenInvalid:
        return None
    request.state.session_id = session_id
    return accounts.session_user(session_id)


NO_STORE = "no-store"


def view(
    roles: Iterable[Role] | None = None, *, api: bool = False, private: bool = False,
    form_again: Callable[[Ctx], Response] | None = None, uploads: bool = False,
) -> Callable[[Callable[[Ctx], Response]], Callable[[Request], Any]]:
    """Wrap `handler(ctx) -> Response`. roles=None means public; [] would mean nobody.

    Answers to a signed-in user, and those of `private` views (a bearer link's page, a form that
    echoes a name or phone), are `Cache-Control: no-store`: staff pages carry personal data
    (revealed contacts, caller history, sign-up lists, exports), and no browser or proxy cache
    may keep a copy of them.

    `form_again(ctx)`: a public form's page with what was posted, shown instead of the bare
    refusal when the CSRF check failed (the browser's cookie expired while they typed). It runs
    in a read-only transaction (nothing posted is stored), its answer is a 403 that no cache
    keeps; should it fail (the record went away), the plain refusal is the answer.

    `uploads`: the form sends files, and its body may be as large as the photos allow
    (portal/core/security.py: TAKES_UPLOADS; a larger one comes cut, with BODY_CUT set).
    """
    allowed = frozenset(roles) if roles is not None else None
    if form_again is not None and allowed is not None:
        raise ValueError("form_again is for public forms: a signed-in form has a live session")

    def decorate(handler: Callable[[Ctx], Response]) -> Callable[[Request], Any]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            form = FormData()
            if request.method == "POST" and request.headers.get("content-type", "").startswith(
                FORM_TYPES
            ):
                form = await read_form(request)
            try:
                if _has_nul(request, form):
                    raise HTTPException(400, NUL_MESSAGE)
                if any(isinstance(v, int) and not 0 <= v <= MAX_ROW_ID
                       for v in request.path_params.values()):
                    raise HTTPException(404)  # no record has such an id (nor fits an INTEGER)
                if getattr(request.state, STALE_FORM, False):
                    return await _again(request, form)
                return await run_in_threadpool(_run, handler, request, form)
            finally:
                await form.close()  # the temporary files of uploads

        async def _again(request: Request, form: FormData) -> Response:
            if form_again is None:  # the middleware lets only marked routes through
                raise HTTPException(403, CSRF_REFUSED)
            try:
                response = await run_in_threadpool(_run, form_again, request, form, True)
            except Exception as exc:  # what was posted names no form to show (a record gone)
                log.info("form not shown again after a failed CSRF check: %s",
                         type(exc).__name__)
                raise HTTPException(403, CSRF_REFUSED) from None
            response.status_code = 403
            response.headers["cache-control"] = NO_STORE
            return response

        def _run(handler: Callable[[Ctx], Response], request: Request, form: FormData,
                 stale: bool = False) -> Response:
            settings = get_settings()
            with session_factory(settings.database_url)() as db:
                if request.method in ("GET", "HEAD") or stale:
                    read_only(db)
                user = _load_user(request, db, settings, api)
                request.state.user = user
                request.state.viewer = Viewer.of(user) if user else None
                if allowed is not None:
                    if user is None:
                        if api:
                            raise HTTPException(401, "需要有效的 API 密钥")
                        raise LoginRequired()
                    if user.role_enum not in allowed:
                        raise HTTPException(403)
                    if user.must_change_password and not api:
                        # A password someone else gave (an import, a reset): changed first.
                        target = request.url_for("accounts:password").path
                        if request.url.path != target:
                            if request.headers.get("HX-Request"):
                                # A fragment (the menu's queue count polls): nothing to swap.
                                return Response(status_code=204)
                            return RedirectResponse(f"{target}?next={quote(_here(request))}",
                                                    303)
                ctx = Ctx(request=request, db=db, settings=settings, user=user, form=form,
                          stale_form=stale)
                response = handler(ctx)
                if private or user is not None:
                    response.headers.setdefault("cache-control", NO_STORE)
                return response

        endpoint.allowed_roles = allowed  # type: ignore[attr-defined]
        setattr(endpoint, KEEPS_FORM, form_again)
        setattr(endpoint, TAKES_UPLOADS, uploads)
        endpoint.is_api = api  # type: ignore[attr-defined]
        return endpoint

    return decorate


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def login_url(request: Request) -> str:
    return f"{request.url_for('accounts:login').path}?next={quote(_here(request))}"


def safe_next(value: str | None, default: str = "/") -> str:
    """Only same-site paths may be redirect targets (no //evil.example)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default
