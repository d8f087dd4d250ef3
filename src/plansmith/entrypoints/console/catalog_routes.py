"""The console's catalog screens: plans by family (a compact list, each family's versions on
demand), and the plan editor.

Handlers stay thin: they read the form, call the catalog use cases and render the result.
Editing saves a draft; publishing asks seed 003's question "Apply this change to existing
customers?". Publish, Archive and Discard draft take two steps: the first POST only shows what
will happen (to whom, from when, at what price), the confirmation's POST (CSRF-checked like
every form) does it. Copy asks for the new plan's name and code. Money is read exactly from
major units (parse_money). Both screens show seed 002's "number of registered accounts for
each package": the subscribers of every version, and of every plan (the sum over its versions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from plansmith.application.catalog import extras, publishing
from plansmith.application.catalog import plan_families as families
from plansmith.application.catalog import plans as cat
from plansmith.application.catalog.shown import plan_shown
from plansmith.application.subscriptions.queries import subscriber_counts
from plansmith.domain.catalog.notice import describe_changes
from plansmith.domain.catalog.plans import PlanFamily, PlanVersion
from plansmith.domain.kernel.errors import DomainError
from plansmith.entrypoints.console.catalog_forms import (
    CopyForm,
    EditForm,
    PublishForm,
    RenameForm,
    all_errors,
    by_field,
    check_copy,
    check_discard,
    check_publish,
    form_errors,
    read_edit,
)
from plansmith.entrypoints.console.catalog_views import bdi, template_globals
from plansmith.entrypoints.console.charges_form import ChargesForm, charges_data
from plansmith.entrypoints.console.routes import (
    PREFIX,
    CurrentOperator,
    FormOperator,
    Operator,
    _chrome,
)
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container, organization_clock
from plansmith.entrypoints.webui.i18n import N_, request_language, translate, translate_plural
from plansmith.entrypoints.webui.mail import preview_plan_change
from plansmith.entrypoints.webui.messages import refusal
from plansmith.entrypoints.webui.templating import make_templates

DONE = {
    "saved": N_("Draft saved. Customers see nothing of it until you publish it."),
    "published_never": N_(
        "Published. Existing customers keep their version, now legacy and internal only; "
        "new sign-ups get the new one."
    ),
    "published_at_renewal": N_(
        "Published. Existing customers move to it at their next renewal: send them the notice "
        "below before it takes effect."
    ),
    "published_now": N_(
        "Published. Existing customers move to it now: send them the notice below."
    ),
    "copied": N_("This is the copy, saved as a draft. Adjust it and publish it."),
    "archived": N_("Archived. No new sign-ups; existing customers keep their version."),
    "discarded": N_("Draft discarded. The plan is as it was before the draft."),
    "renamed": N_("Renamed. Customers see the new name from now on."),
}
MOVES = ("now", "at_renewal")  # publishing for existing customers: they are sent a notice
CONFIRMED = "yes"  # the value of the confirmation step's hidden "confirmed" field
CHANGED = N_(
    "This changed since it was shown: nothing was done. Check what it is now and confirm again."
)

templates = make_templates(Path(__file__).with_name("templates"))
templates.env.globals.update(template_globals())
templates.env.filters.update(bdi=bdi)
router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


# -- routes -------------------------------------------------------------------------------


async def posted_form(request: Request) -> FormData:
    return await request.form()  # parsed once; the CSRF check read the same form


PostedForm = Annotated[FormData, Depends(posted_form)]


@dataclass(frozen=True)
class FamilySection:
    family: PlanFamily
    plans: Sequence[cat.PlanView]


@router.get("/catalog")
def catalog(request: Request, operator: CurrentOperator, app: Container) -> Response:
    org = operator.organization_id
    plans = cat.list_plans(app.uow(), org)
    sections = [
        FamilySection(family, [v for v in plans if v.family.id == family.id])
        for family in families.list_families(app.uow(), org)
    ]
    context = {
        "sections": sections,
        "counts": subscriber_counts(app.uow(), org),
        "add_ons": extras.list_add_ons(app.uow(), org),
        "packs": extras.list_extra_packs(app.uow(), org),
        **_chrome(operator, "catalog"),
    }
    return templates.TemplateResponse(request, "console/catalog.html", context)


@router.get("/plans/{plan_id}")
def plan_editor(
    request: Request,
    plan_id: str,
    operator: CurrentOperator,
    app: Container,
    done: str = "",
    notified: str = "",
) -> Response:
    view = cat.get_plan(app.uow(), operator.organization_id, plan_id)
    language = request_language(request)
    flash = translate(language, DONE[done]) if done in DONE else None
    if flash and done in ("published_now", "published_at_renewal") and notified.isdigit():
        flash = f"{flash} {notified_text(int(notified), language)}"
    return _editor(request, app, operator, view, flash=flash)


def notified_text(n: int, language: str) -> str:
    if n == 0:
        return translate(
            language, N_("No customer had the previous version, so no notice was recorded.")
        )
    text = translate_plural(
        language,
        "The notice was recorded for %(num)s subscriber.",
        "The notice was recorded for %(num)s subscribers.",
        n,
    )
    return text % {"num": f"{n:,}"}


@router.post("/plans/{plan_id}/draft")
def save_draft(
    request: Request, plan_id: str, operator: FormOperator, app: Container, form: PostedForm
) -> Response:
    org = operator.organization_id
    view = cat.get_plan(app.uow(), org, plan_id)
    basis = _basis(view)
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    channels = [value for value in form.getlist("channels") if isinstance(value, str)]
    edit = read_edit(fields, channels, basis.terms)
    if edit.errors:
        errors = all_errors(edit, basis)
    else:
        try:
            cat.edit_plan(
                app.uow(),
                organization_clock(app, org),
                org,
                plan_id,
                terms=edit.terms,
                name=edit.name,
                channels=edit.channels,
            )
        except DomainError as exc:
            if exc.status != 422:
                raise
            errors = form_errors(exc, edit)
        else:
            return _redirect(plan_id, "saved")
    failed = EditForm.of_version(basis).failed(fields, channels, errors)
    return _editor(request, app, operator, view, edit=failed, status=422)


@router.post("/plans/{plan_id}/publish")
def publish(
    request: Request,
    plan_id: str,
    operator: FormOperator,
    app: Container,
    apply_to_existing: Annotated[str, Form()] = "",
    legacy_name: Annotated[str, Form()] = "",
    confirmed: Annotated[str, Form()] = "",
    expect: Annotated[str, Form()] = "",
) -> Response:
    """The first POST shows what publishing would do; the confirmation's POST does it, only
    when the plan is still what it showed (``expect``); otherwise 409 and the new figures."""
    org = operator.organization_id
    clock = organization_clock(app, org)
    facts = {"apply": apply_to_existing, "legacy_name": legacy_name.strip()}
    try:
        if confirmed != CONFIRMED:
            view = cat.get_plan(app.uow(), org, plan_id)
            check_publish(view, apply_to_existing, legacy_name)
            return _confirm(request, app, operator, view, "publish", clock.now(), facts)
        label = legacy_name.strip() or None
        done = publishing.publish_plan(
            app.uow(), clock, org, plan_id, apply_to_existing, legacy_name=label, expect=expect
        )
    except DomainError as exc:
        if exc.status not in (409, 422):
            raise
        view = cat.get_plan(app.uow(), org, plan_id)
        if exc.field == "expect":
            now = clock.now()
            return _confirm(request, app, operator, view, "publish", now, facts, changed=True)
        errors = {exc.field or "": refusal(exc)}
        failed = PublishForm(apply_to_existing, legacy_name, errors)
        return _editor(request, app, operator, view, publish=failed, status=exc.status)
    if done.move is None:
        return _redirect(plan_id, "published_never")
    return _redirect(plan_id, f"published_{done.move.apply.value}&notified={done.notified}")


@router.post("/plans/{plan_id}/copy")
def copy(
    request: Request,
    plan_id: str,
    operator: FormOperator,
    app: Container,
    name: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
) -> Response:
    """The copy's name and code are asked for: a copy is a new plan, not "Copy of ..."."""
    org = operator.organization_id
    view = cat.get_plan(app.uow(), org, plan_id)  # another organization's plan: 404 first
    try:
        check_copy(name, code)
        copied = cat.copy_plan(
            app.uow(), organization_clock(app, org), org, plan_id, code=code.strip(), name=name
        )
    except DomainError as exc:
        if exc.status not in (409, 422):
            raise
        failed = CopyForm(name, code, by_field(exc))
        return _editor(request, app, operator, view, copy=failed, status=exc.status)
    return _redirect(copied.plan.id, "copied")


@router.post("/plans/{plan_id}/rename")
def rename(
    request: Request,
    plan_id: str,
    operator: FormOperator,
    app: Container,
    name: Annotated[str, Form()] = "",
) -> Response:
    """The name customers see is the plan's, apart from the versions' internal labels."""
    org = operator.organization_id
    try:
        cat.update_plan(app.uow(), org, plan_id, name=name)
    except DomainError as exc:
        if exc.status != 422:
            raise
        view = cat.get_plan(app.uow(), org, plan_id)
        failed = RenameForm(name, by_field(exc))
        return _editor(request, app, operator, view, rename=failed, status=422)
    return _redirect(plan_id, "renamed")


@router.post("/plans/{plan_id}/archive")
def archive(
    request: Request,
    plan_id: str,
    operator: FormOperator,
    app: Container,
    confirmed: Annotated[str, Form()] = "",
    expect: Annotated[str, Form()] = "",
) -> Response:
    """Only when the plan is still what the confirmation showed (``expect``), else 409."""
    org = operator.organization_id
    clock = organization_clock(app, org)
    if confirmed != CONFIRMED:
        view = cat.get_plan(app.uow(), org, plan_id)
        return _confirm(request, app, operator, view, "archive", clock.now())
    try:
        cat.archive_plan(app.uow(), clock, org, plan_id, expect=expect)
    except DomainError as exc:
        if exc.field != "expect" or exc.status != 409:
            raise
        view = cat.get_plan(app.uow(), org, plan_id)
        return _confirm(request, app, operator, view, "archive", clock.now(), changed=True)
    return _redirect(plan_id, "archived")


@router.post("/plans/{plan_id}/discard-draft")
def discard_draft(
    request: Request,
    plan_id: str,
    operator: FormOperator,
    app: Container,
    confirmed: Annotated[str, Form()] = "",
    expect: Annotated[str, Form()] = "",
) -> Response:
    """Refused (409, on the plan page) without a draft or when the draft is the only version;
    refused (409, the confirmation again) when the plan is no longer what it showed."""
    org = operator.organization_id
    now = organization_clock(app, org).now()
    try:
        if confirmed != CONFIRMED:
            view = cat.get_plan(app.uow(), org, plan_id)
            check_discard(view)
            return _confirm(request, app, operator, view, "discard", now)
        cat.discard_draft(app.uow(), org, plan_id, expect=expect)
    except DomainError as exc:
        if exc.status != 409:
            raise
        view = cat.get_plan(app.uow(), org, plan_id)
        if exc.field == "expect":
            return _confirm(request, app, operator, view, "discard", now, changed=True)
        return _editor(request, app, operator, view, error=refusal(exc), status=409)
    return _redirect(plan_id, "discarded")


def _redirect(plan_id: str, done: str) -> Response:
    return RedirectResponse(f"{PREFIX}/plans/{plan_id}?done={done}", status_code=303)


def _basis(view: cat.PlanView) -> PlanVersion:
    """The version the form starts from: the draft, else the current, else the newest."""
    return view.draft or view.current or view.versions[-1]


def _confirm(
    request: Request,
    app: Container,
    operator: Operator,
    view: cat.PlanView,
    action: str,
    now: datetime,
    facts: Mapping[str, str] | None = None,
    *,
    changed: bool = False,
) -> Response:
    """The confirmation step: what the action does, to whom and from when; nothing done yet.
    It carries what it showed (``expect``: the plan and the facts) to its Confirm."""
    current, draft = view.current, view.draft
    facts = facts or {}
    shown = plan_shown(view.plan, view.versions, *_facts(action, facts))
    preview = None  # seed 003: the notice existing customers get, seen before confirming
    if action == "publish" and facts.get("apply") in MOVES and current and draft:
        org = operator.organization_id
        preview = preview_plan_change(app, org, view.plan.name, current, draft, facts["apply"])
    context = {
        "preview": preview,
        "action": action,
        "view": view,
        "plan": view.plan,
        "current": current,
        "draft": draft,
        "now": now,
        "changes": describe_changes(current.terms, draft.terms) if current and draft else [],
        "counts": subscriber_counts(app.uow(), operator.organization_id),
        "confirmed": CONFIRMED,
        "expect": shown,
        "changed": translate(request_language(request), CHANGED) if changed else None,
        **facts,
        **_chrome(operator, "catalog"),
    }
    return templates.TemplateResponse(
        request,
        "console/plan_confirm.html",
        context,
        status_code=409 if changed else 200,
        headers={"Cache-Control": "no-store"},
    )


def _facts(action: str, facts: Mapping[str, str]) -> tuple[str, ...]:
    """What the use case compares besides the plan: Publish's apply mode and legacy name."""
    return (facts["apply"], facts["legacy_name"]) if action == "publish" else ()


def _editor(
    request: Request,
    app: Container,
    operator: Operator,
    view: cat.PlanView,
    *,
    edit: EditForm | None = None,
    publish: PublishForm | None = None,
    copy: CopyForm | None = None,
    rename: RenameForm | None = None,
    charges: ChargesForm | None = None,
    flash: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    context = {
        "view": view,
        "plan": view.plan,
        "form": edit or EditForm.of_version(_basis(view)),
        "publish": publish or PublishForm(),
        "copy": copy or CopyForm(),
        "rename": rename or RenameForm(view.plan.name),
        "charges_form": charges or ChargesForm.of(_basis(view).terms),
        "charges_of": charges_data,
        "counts": subscriber_counts(app.uow(), operator.organization_id),
        "flash": flash,
        "error": error,
        **_chrome(operator, "catalog"),
    }
    return templates.TemplateResponse(
        request,
        "console/plan.html",
        context,
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )
