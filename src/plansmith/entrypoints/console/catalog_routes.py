"""The console's catalog screens: plans by family with every version, and the plan editor.

Handlers stay thin: they read the form, call the catalog use cases and render the result.
Editing saves a draft; publishing asks seed 003's question "Apply this change to existing
customers?". Money is read exactly from major units (parse_money) and shown per locale. Both
screens show seed 002's "number of registered accounts for each package": the subscribers of
every version, and of every plan (the sum over its versions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from plansmith.adapters.money_format import format_money
from plansmith.application.catalog import extras, publishing
from plansmith.application.catalog import plan_families as families
from plansmith.application.catalog import plans as cat
from plansmith.application.subscriptions.queries import subscriber_counts
from plansmith.domain.catalog.plans import ChangePolicy, Channel, PlanFamily, PlanVersion, Timing
from plansmith.domain.catalog.pricing import quote
from plansmith.domain.catalog.terms import PlanTerms, Price, PricingModel
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.kernel.money import Currency, Money
from plansmith.domain.kernel.periods import Cycle
from plansmith.entrypoints.console.catalog_forms import (
    LOCALE,
    EditForm,
    PublishForm,
    all_errors,
    form_errors,
    percent_text,
    read_edit,
)
from plansmith.entrypoints.console.routes import (
    PREFIX,
    CurrentOperator,
    FormOperator,
    Operator,
    _chrome,
)
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container, organization_clock
from plansmith.entrypoints.webui.templating import make_templates

CHANNEL_LABELS = {
    Channel.INTERNAL: "Internal",
    Channel.SIGNUP: "Sign-up page",
    Channel.WEBSITE: "Website",
    Channel.PORTAL: "Portal upgrade list",
}
DONE = {
    "saved": "Draft saved. Customers see nothing of it until you publish it.",
    "published_never": "Published. Existing customers keep their version, now legacy and "
    "internal only; new sign-ups get the new one.",
    "published_at_renewal": "Published. Existing customers move to it at their next renewal: "
    "send them the notice below before it takes effect.",
    "published_now": "Published. Existing customers move to it now: send them the notice below.",
    "copied": "This is a copy, saved as a draft. Rename it, adjust it and publish it.",
    "archived": "Archived. No new sign-ups; existing customers keep their version.",
}

templates = make_templates(Path(__file__).with_name("templates"))
router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


# -- showing prices and policies ----------------------------------------------------------


@dataclass(frozen=True)
class PriceRow:
    """One cycle's price per seat (or per subscription), as quoted for the minimum quantity."""

    currency: str
    cycle: str  # "year", "half year"
    price: str  # "$239.90"
    list_price: str  # before the cycle discount
    discount: str  # "20 %", or "" without a discount

    @property
    def text(self) -> str:
        off = f" ({self.discount} off)" if self.discount else ""
        return f"{self.price} / {self.cycle}{off}"


def cycle_words(cycle: Cycle) -> str:
    """ "month", "quarter", "half year", "year", "2 months", "week"..."""
    return cycle.name.replace("_", " ")


def money_text(amount: int, code: str) -> str:
    return format_money(Money(amount, Currency.of(code)), LOCALE)


def price_rows(terms: PlanTerms) -> list[PriceRow]:
    seats = 1 if terms.pricing is PricingModel.FLAT else terms.min_seats
    rows = []
    for code in terms.currencies():
        for cycle in terms.cycles(code):
            q = quote(terms, cycle, Currency.of(code), seats)
            rows.append(
                PriceRow(
                    currency=code,
                    cycle=cycle_words(cycle),
                    price=format_money(q.unit_price, LOCALE),
                    list_price=money_text(q.list_unit_amount, code),
                    discount=percent_text(q.discount_percent) if q.discount_percent else "",
                )
            )
    return rows


def price_text(price: Price) -> str:
    return f"{money_text(price.amount, price.currency)} / {cycle_words(price.cycle)}"


def policy_words(policy: ChangePolicy) -> str:
    """A family's change policy as an operator would say it."""
    later = "at the end of the term"
    upgrade = "immediately, prorated" if policy.upgrade is Timing.NOW else later
    downgrade = "immediately, with a credit" if policy.downgrade is Timing.NOW else later
    seats = "immediately, with a credit" if policy.seats_down is Timing.NOW else later
    cycles = "allowed" if policy.cycle_change else "not allowed"
    return (
        f"Upgrades take effect {upgrade}; downgrades {downgrade}; fewer seats {seats}. "
        f"Changing the billing cycle is {cycles}."
    )


templates.env.globals.update(
    price_rows=price_rows,
    price_text=price_text,
    money_text=money_text,
    channel_labels=CHANNEL_LABELS,
)


# -- routes -------------------------------------------------------------------------------


async def posted_form(request: Request) -> FormData:
    return await request.form()  # parsed once; the CSRF check read the same form


PostedForm = Annotated[FormData, Depends(posted_form)]


@dataclass(frozen=True)
class FamilySection:
    family: PlanFamily
    policy: str
    plans: Sequence[cat.PlanView]


def plan_subscribers(view: cat.PlanView, counts: Mapping[str, int]) -> int:
    """A plan's subscribers: those of all its versions (legacy ones keep theirs)."""
    return sum(counts.get(v.id, 0) for v in view.versions)


def subscribers_text(n: int) -> str:
    return "1 subscriber" if n == 1 else f"{n:,} subscribers"


templates.env.globals.update(
    plan_subscribers=plan_subscribers,
    subscribers_text=subscribers_text,
)


@router.get("/catalog")
def catalog(request: Request, operator: CurrentOperator, app: Container) -> Response:
    org = operator.organization_id
    plans = cat.list_plans(app.uow(), org)
    sections = [
        FamilySection(
            family, policy_words(family.policy), [v for v in plans if v.family.id == family.id]
        )
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
    flash = DONE.get(done)
    if flash and done in ("published_now", "published_at_renewal") and notified.isdigit():
        flash = f"{flash} {notified_text(int(notified))}"
    return _editor(request, app, operator, view, flash=flash)


def notified_text(n: int) -> str:
    if n == 0:
        return "No customer had the previous version, so no notice was recorded."
    return f"The notice was recorded for {subscribers_text(n)}."


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
) -> Response:
    org = operator.organization_id
    try:
        done = publishing.publish_plan(
            app.uow(),
            organization_clock(app, org),
            org,
            plan_id,
            apply_to_existing,
            legacy_name=legacy_name.strip() or None,
        )
    except DomainError as exc:
        if exc.status not in (409, 422):
            raise
        view = cat.get_plan(app.uow(), org, plan_id)
        errors = {exc.field or "": exc.message}
        failed = PublishForm(apply_to_existing, legacy_name, errors)
        return _editor(request, app, operator, view, publish=failed, status=exc.status)
    if done.move is None:
        return _redirect(plan_id, "published_never")
    return _redirect(plan_id, f"published_{done.move.apply.value}&notified={done.notified}")


@router.post("/plans/{plan_id}/copy")
def copy(plan_id: str, operator: FormOperator, app: Container) -> Response:
    view = cat.copy_plan(
        app.uow(),
        organization_clock(app, operator.organization_id),
        operator.organization_id,
        plan_id,
    )
    return _redirect(view.plan.id, "copied")


@router.post("/plans/{plan_id}/archive")
def archive(plan_id: str, operator: FormOperator, app: Container) -> Response:
    cat.archive_plan(
        app.uow(),
        organization_clock(app, operator.organization_id),
        operator.organization_id,
        plan_id,
    )
    return _redirect(plan_id, "archived")


def _redirect(plan_id: str, done: str) -> Response:
    return RedirectResponse(f"{PREFIX}/plans/{plan_id}?done={done}", status_code=303)


def _basis(view: cat.PlanView) -> PlanVersion:
    """The version the form starts from: the draft, else the current, else the newest."""
    return view.draft or view.current or view.versions[-1]


def _editor(
    request: Request,
    app: Container,
    operator: Operator,
    view: cat.PlanView,
    *,
    edit: EditForm | None = None,
    publish: PublishForm | None = None,
    flash: str | None = None,
    status: int = 200,
) -> Response:
    context = {
        "view": view,
        "plan": view.plan,
        "policy": policy_words(view.family.policy),
        "form": edit or EditForm.of_version(_basis(view)),
        "publish": publish or PublishForm(),
        "counts": subscriber_counts(app.uow(), operator.organization_id),
        "flash": flash,
        **_chrome(operator, "catalog"),
    }
    return templates.TemplateResponse(
        request,
        "console/plan.html",
        context,
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )
