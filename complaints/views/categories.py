"""GET /api/v1/categories/suggest: the categories a description suggests, ranked, with scores.

For the hotline's own tools and other hotline systems: a signed-in operator's session (the
console), or an API key (`Authorization: Bearer …` or `X-API-Key`) of a government role. The
ranking is the console's (complaints/services/suggestions.py: rank) over the active categories.
Query strings never reach the access log (portal/core/logfilters.py), so the text may be in one.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from complaints.forms import SUGGEST_MAX_LIMIT, CategorySuggestQuery
from complaints.rules.intake import DESCRIPTION_MAX
from complaints.services import suggestions
from complaints.services.filing import active_rules
from portal.accounts.models import User
from portal.accounts.rules.roles import GOVERNMENT_ROLES
from portal.accounts.services import AccountService
from portal.core.endpoints import Ctx, view
from portal.core.openapi import register

# Government staff; institution accounts file no complaints and route none.
ALLOWED_ROLES = GOVERNMENT_ROLES


def _caller(ctx: Ctx) -> User | None:
    """The signed-in user, else the user of the API key in the headers."""
    if ctx.user is not None:
        return ctx.user
    headers = ctx.request.headers
    auth = headers.get("authorization", "")
    presented = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    presented = presented or headers.get("x-api-key", "").strip()
    return AccountService(ctx.db).api_key_user(presented) if presented else None


@view(private=True)
def suggest_api(ctx: Ctx) -> Response:
    user = _caller(ctx)
    if user is None:
        return ctx.api_error(401, "需要登录坐席账号，或提供有效的 API 密钥")
    if user.role_enum not in ALLOWED_ROLES:
        return ctx.api_error(403, "该账号没有使用类别建议的权限")
    query = CategorySuggestQuery(ctx.request.query_params)
    for field, message in query.check().items():
        return ctx.api_error(400, message, field)
    rules = active_rules(ctx.db)
    ranked = suggestions.rank(query.text.data, rules.values(), query.limit.data)
    return ctx.json({"suggestions": [
        {"code": r.code, "label": rules[r.code].label, "score": round(r.score, 4)}
        for r in ranked]})


routes = [
    Route("/categories/suggest", suggest_api, methods=["GET"], name="category_suggest"),
]

register("/api/v1/categories/suggest", {"get": {
    "summary": "Complaint categories a description suggests, best first, with scores",
    "description": (
        "A naive Bayes classifier over the description's characters, character pairs and a "
        "domain lexicon, trained on labelled descriptions as callers speak them, plus the "
        "active categories' keywords. An empty `suggestions` means the text is too vague. "
        "Needs a signed-in government user's session or an API key of one (operator, "
        "department, supervisor, admin)."),
    "security": [{"bearer": []}],
    "parameters": [
        {"name": "text", "in": "query", "required": True, "description": "the description",
         "schema": {"type": "string", "minLength": 1, "maxLength": DESCRIPTION_MAX}},
        {"name": "limit", "in": "query", "required": False, "description": "default 3",
         "schema": {"type": "integer", "minimum": 1, "maximum": SUGGEST_MAX_LIMIT}},
    ],
    "responses": {
        "200": {"description": "OK", "content": {"application/json": {"schema": {
            "type": "object", "required": ["suggestions"],
            "properties": {"suggestions": {"type": "array", "items": {
                "type": "object", "required": ["code", "label", "score"],
                "properties": {"code": {"type": "string"}, "label": {"type": "string"},
                               "score": {"type": "number", "minimum": 0, "maximum": 1}}}}}}}}},
        "400": {"description": "bad parameter; `field` names it",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        "401": {"description": "neither a session nor a valid API key"},
        "403": {"description": "the account's role may not use it"},
    },
}})
