"""Login, logout, the signed-in user's own page and password; admin user management, with
password resets."""

from __future__ import annotations

from sqlalchemy import func, select
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from portal.accounts.exceptions import AccountError, InvalidUser, LoginFailed
from portal.accounts.forms import LoginForm, PasswordForm, UserForm
from portal.accounts.models import User
from portal.accounts.rules.passwords import MIN_LENGTH
from portal.accounts.rules.roles import ROLE_LABELS, Role
from portal.accounts.services import AccountService
from portal.accounts.tasks import send_welcome
from portal.core import audit
from portal.core.endpoints import SESSION_COOKIE, Ctx, safe_next, session_tokens, view
from portal.core.jobs import record_job
from portal.core.ratelimit import allow, client_ip, refund
from portal.orgs.models import Department

ALL_STAFF = list(Role)
PAGE_SIZE = 50
# Failed logins per address and quarter hour, whatever the user names (password spraying);
# the per-account throttle (portal/accounts/rules/throttle.py) covers guessing one account's
# password. Counted before the password is checked (a success takes its hit back), so parallel
# attempts cannot pass the limit. While Redis is down each web process counts on its own.
FAILED_LOGINS_PER_IP = 30
FAILED_LOGIN_WINDOW = 15 * 60


HOMES = {
    Role.ADMIN: "/admin/users",
    Role.DEPARTMENT: "/staff/queue",
    Role.SUPERVISOR: "/staff/supervision",
    Role.OPERATOR: "/operator/",
}


def home_for(user: User) -> str:
    return HOMES.get(user.role_enum, "/accounts/me")


@view()
def login_form(ctx: Ctx) -> Response:
    return ctx.render(
        "accounts/login.html", next=safe_next(ctx.request.query_params.get("next"), "")
    )


def _login_again(ctx: Ctx) -> Response:
    """The login form with the user name as typed (never the password), after a failed CSRF
    check: the login page stood open longer than the browser kept its cookie."""
    form = LoginForm(ctx.form)
    return ctx.render("accounts/login.html", next=safe_next(form.next.data, ""),
                      username=form.username.data)


@view(form_again=_login_again)
def login_submit(ctx: Ctx) -> Response:
    form = LoginForm(ctx.form)
    username, password = form.username.data, form.password.data
    next_url = safe_next(form.next.data, "")
    accounts = AccountService(ctx.db)
    ip = client_ip(ctx.request)
    failed = None
    if not allow("login", ip, FAILED_LOGINS_PER_IP, FAILED_LOGIN_WINDOW):
        failed = 429  # the address's attempts are used up: no password is checked
    else:
        try:
            user = accounts.authenticate(username, password)
        except LoginFailed:
            failed = 400
    if failed is not None:
        return ctx.render("accounts/login.html", status_code=failed, error=LoginFailed.message,
                          next=next_url, username=username)
    refund("login", ip, FAILED_LOGIN_WINDOW)
    old_session = getattr(ctx.request.state, "session_id", None)
    if old_session:
        accounts.end_session(old_session)
    row = accounts.start_session(user, ctx.settings.session_max_age)
    audit.record(ctx.db, user.id, "login", "user", user.id)
    ctx.db.commit()
    response = ctx.redirect(next_url or home_for(user))
    response.set_cookie(
        SESSION_COOKIE,
        session_tokens(ctx.settings).dumps(row.id),
        max_age=ctx.settings.session_max_age,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.secure_cookies,
        path="/",
    )
    return response


@view()
def logout(ctx: Ctx) -> Response:
    session_id = getattr(ctx.request.state, "session_id", None)
    if session_id:
        AccountService(ctx.db).end_session(session_id)
        ctx.db.commit()
    response = ctx.redirect("/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@view(roles=ALL_STAFF)
def account(ctx: Ctx) -> Response:
    return ctx.render("accounts/account.html", role_labels=ROLE_LABELS)


def _password_page(ctx: Ctx, *, status_code: int = 200, errors: list[str] | None = None,
                   next_url: str = "") -> Response:
    assert ctx.user is not None
    return ctx.render("accounts/password.html", status_code=status_code, errors=errors or [],
                      next=next_url, min_length=MIN_LENGTH, username=ctx.user.username,
                      must_change=ctx.user.must_change_password)


@view(roles=ALL_STAFF)
def password_form(ctx: Ctx) -> Response:
    return _password_page(ctx, next_url=safe_next(ctx.request.query_params.get("next"), ""))


@view(roles=ALL_STAFF)
def password_submit(ctx: Ctx) -> Response:
    """The user's own change; every other session of theirs ends (AccountService)."""
    form = PasswordForm(ctx.form)
    assert ctx.user is not None
    next_url = safe_next(form.next.data, "")
    session_id = getattr(ctx.request.state, "session_id", None)
    try:
        AccountService(ctx.db).change_password(ctx.user, form.current.data, form.new.data,
                                               form.again.data, session_id)
    except InvalidUser as exc:
        ctx.db.rollback()
        return _password_page(ctx, status_code=400, errors=exc.message.split("；"),
                              next_url=next_url)
    audit.record(ctx.db, ctx.user.id, "password.changed", "user", ctx.user.id)
    ctx.db.commit()
    return ctx.redirect(next_url or ctx.url("accounts:me") + "?password_changed=1")


def _user_form_context(ctx: Ctx) -> dict:
    page = ctx.page_param()
    total = ctx.db.scalar(select(func.count(User.id)))
    users = ctx.db.scalars(
        select(User).order_by(User.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    departments = ctx.db.scalars(select(Department).order_by(Department.id)).all()
    return {
        "users": users,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "departments": departments,
        "roles": list(Role),
        "role_labels": ROLE_LABELS,
    }


@view(roles=[Role.ADMIN])
def users_page(ctx: Ctx) -> Response:
    return ctx.render("accounts/users.html", **_user_form_context(ctx))


@view(roles=[Role.ADMIN])
def users_create(ctx: Ctx) -> Response:
    form = UserForm(ctx.form)
    values = form.texts("username", "display_name", "email", "role")
    errors = list(form.check().values())
    if not errors:
        try:
            user = AccountService(ctx.db).create_user(
                username=form.username.data,
                display_name=form.display_name.data,
                email=form.email.data,
                password=form.password.data,
                role=Role(form.role.data),
                department_id=form.row_id(form.department_id),
                institution_id=form.row_id(form.institution_id),
            )
        except AccountError as exc:
            errors = [exc.message]
    if errors:
        ctx.db.rollback()
        return ctx.render(
            "accounts/users.html",
            status_code=400,
            errors=errors,
            values=values,
            **_user_form_context(ctx),
        )
    user.must_change_password = True  # the administrator chose it: its owner changes it
    audit.record(ctx.db, ctx.user.id, "create", "user", user.id, role=user.role)
    if user.email:
        record_job(ctx.db, send_welcome, user.id)
    ctx.db.commit()
    return ctx.redirect(ctx.url("admin:users") + f"?created={user.id}")


@view(roles=[Role.ADMIN])
def password_reset(ctx: Ctx) -> Response:
    """A forgotten password: a new random one, shown to the administrator this once (the page
    is not kept by any cache: signed-in answers are no-store), to be changed at sign-in."""
    user = ctx.db.get(User, ctx.request.path_params["user_id"])
    if user is None:
        raise HTTPException(404, "没有该用户")
    assert ctx.user is not None
    password = AccountService(ctx.db).reset_password(user)
    audit.record(ctx.db, ctx.user.id, "password.reset", "user", user.id)
    ctx.db.commit()
    return ctx.render("accounts/password_reset.html", account=user, password=password)


routes = [
    Route("/login", login_form, methods=["GET"], name="login"),
    Route("/login", login_submit, methods=["POST"], name="login_submit"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/me", account, methods=["GET"], name="me"),
    Route("/password", password_form, methods=["GET"], name="password"),
    Route("/password", password_submit, methods=["POST"], name="password_submit"),
]

admin_routes = [
    Route("/users", users_page, methods=["GET"], name="users"),
    Route("/users", users_create, methods=["POST"], name="users_create"),
    Route("/users/{user_id:int}/password-reset", password_reset, methods=["POST"],
          name="password_reset"),
]
