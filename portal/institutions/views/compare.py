"""The compare tray (issue 21, item 7): the selection kept in a cookie across the directory's
filters and pages, changed by plain form posts (htmx swaps the tray in place)."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import Response
from starlette.routing import Route

from portal.core.endpoints import Ctx, safe_next, view
from portal.institutions.forms import CompareSelectionForm
from portal.institutions.rules import compare_selection as selection
from portal.institutions.services.compare_tray import load_tray

COOKIE_MAX_AGE = 30 * 24 * 3600  # a family compares homes over weeks, not one visit
FULL_MARK = "compare=full"  # on the page a refused (fourth) choice leads back to, without htmx


def chosen_ids(ctx: Ctx) -> list[int]:
    """The selection from the cookie (no statement)."""
    return selection.parse(ctx.request.cookies.get(selection.COOKIE))


def tray_context(ctx: Ctx) -> dict:
    """What every page with the tray renders it from."""
    notice = (selection.FULL.format(max=selection.MAX_COMPARE)
              if ctx.request.query_params.get("compare") == "full" else "")
    tray = load_tray(ctx.db, chosen_ids(ctx), notice)
    return {"tray": tray, "compare_ids": tray.ids}


def _change(form: CompareSelectionForm, ids: list[int]) -> selection.Change:
    if form.clear.data:
        return selection.Change(())
    if form.remove.data is not None:
        return selection.remove(ids, form.remove.data)
    if form.add.data is not None:
        return selection.add(ids, form.add.data)
    if form.pick.data is not None:
        return selection.set_picked(ids, form.pick.data, form.pick.data in form.ids.data)
    return selection.Change(tuple(ids))


def _back(target: str, refused: bool) -> str:
    """The page the form was posted from; a refusal is said there (no JavaScript), an earlier
    refusal's mark is dropped."""
    parts = urlsplit(target)
    params = [p for p in parts.query.split("&") if p and p != FULL_MARK]
    if refused:
        params.append(FULL_MARK)
    query = "?" + "&".join(params) if params else ""
    return parts.path + query + (f"#{parts.fragment}" if parts.fragment else "")


@view()
def change_selection(ctx: Ctx) -> Response:
    """POST add / remove / pick / clear: the tray fragment for htmx, else back to the page."""
    form = CompareSelectionForm(ctx.form)
    change = _change(form, chosen_ids(ctx))
    if ctx.is_htmx:
        tray = load_tray(ctx.db, list(change.ids), change.refused)
        # The tray's own forms lead back to the page it is on (should htmx fail later).
        shown = urlsplit(ctx.request.headers.get("hx-current-url", ""))
        here = _back(shown.path + (f"?{shown.query}" if shown.query else ""), False)
        response = ctx.render("institutions/_compare_tray.html", tray=tray,
                              tray_next=safe_next(here, ctx.url("institutions:directory")))
    else:
        target = safe_next(form.next.data, ctx.url("institutions:directory"))
        response = ctx.redirect(_back(target, bool(change.refused)))
    response.set_cookie(selection.COOKIE, selection.dump(change.ids), max_age=COOKIE_MAX_AGE,
                        samesite="lax", httponly=True, secure=ctx.settings.secure_cookies)
    return response


routes = [
    Route("/compare/selection", change_selection, methods=["POST"], name="compare_selection"),
]
