"""The console dashboard: MRR, ARR, active subscriptions and customers and the MRR movements
(new, expansion, contraction, churned) of the last 12 months, per currency (never added
across currencies), with a month's figures by family and by plan, and a chart.

The figures are tables first (the page works without JavaScript); the chart is drawn from
the same figures by the project's own copy of Chart.js (webui/vendor, served under /static).
What each figure means: domain/subscriptions/revenue.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from plansmith.application.screens.revenue import RevenueReport, revenue_report
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.money import Currency
from plansmith.domain.subscriptions.revenue import Figures, MonthFigures
from plansmith.entrypoints.console.routes import PREFIX, CurrentOperator, _chrome, templates
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container, organization_clock
from plansmith.entrypoints.webui.formats import day, money
from plansmith.entrypoints.webui.formats import month as month_name
from plansmith.entrypoints.webui.i18n import DEFAULT, request_language

NO_STORE = {"Cache-Control": "no-store"}
router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


@dataclass(frozen=True)
class Row:
    """One line of a figures table: a month, a family or a plan, in one currency."""

    label: str
    figures: Figures
    currency: str
    month_key: str = ""  # YYYY-MM on month rows: links to that month's breakdown
    detail: str = ""  # the family of a plan
    language: str = DEFAULT  # the page's, for money

    def amount(self, value: int) -> str:
        return money(value, self.currency, self.language)


@dataclass(frozen=True)
class CurrencyBlock:
    currency: str
    latest: Figures
    months: tuple[Row, ...]  # oldest first
    families: tuple[Row, ...]  # of the chosen month, the largest MRR first
    plans: tuple[Row, ...]
    chart: str  # the chart's data, JSON
    language: str = DEFAULT  # the page's, for money

    def amount(self, value: int) -> str:
        return money(value, self.currency, self.language)


def _month_param(text: str) -> date | None:
    if not text:
        return None
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise InvalidValue(f"a month is written YYYY-MM, not {text!r}", field="month") from None


def _by_size(rows: list[Row]) -> tuple[Row, ...]:
    return tuple(sorted(rows, key=lambda r: (-r.figures.mrr, -r.figures.subscriptions, r.label)))


def _block(
    report: RevenueReport, chosen: MonthFigures, currency: str, language: str
) -> CurrencyBlock:
    def label(month: date) -> str:
        return month_name(month, language)

    months = tuple(
        Row(
            label(m.month),
            m.by_currency.get(currency, Figures()),
            currency,
            f"{m.month:%Y-%m}",
            language=language,
        )
        for m in report.months
    )
    families = [
        Row(report.family_names.get(family_id, family_id), figures, currency, language=language)
        for (code, family_id), figures in chosen.by_family.items()
        if code == currency
    ]
    plans = [
        Row(report.plan_names.get(plan_id, plan_id), figures, currency, language=language)
        for (code, plan_id), figures in chosen.by_plan.items()
        if code == currency
    ]
    return CurrencyBlock(
        currency=currency,
        latest=chosen.by_currency.get(currency, Figures()),
        months=months,
        families=_by_size(families),
        plans=_by_size(plans),
        chart=_chart(report, currency, language),
        language=language,
    )


def _chart(report: RevenueReport, currency: str, language: str) -> str:
    """MRR per month stacked by family, in minor units with the currency's exponent."""
    family_ids = sorted(
        {fid for m in report.months for (c, fid) in m.by_family if c == currency},
        key=lambda fid: report.family_names.get(fid, fid).casefold(),
    )
    data: dict[str, Any] = {
        "currency": currency,
        "exponent": Currency.of(currency).exponent,
        "locale": language,
        "labels": [month_name(m.month, language) for m in report.months],
        "series": [
            {
                "label": report.family_names.get(fid, fid),
                "values": [
                    m.by_family[(currency, fid)].mrr if (currency, fid) in m.by_family else 0
                    for m in report.months
                ],
            }
            for fid in family_ids
        ],
    }
    # Safe inside <script type="application/json">: no "</" can close the element.
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


@router.get("/dashboard")
def dashboard(
    request: Request, operator: CurrentOperator, app: Container, month: str = ""
) -> Response:
    language = request_language(request)
    org = operator.organization_id
    report = revenue_report(app.uow(), organization_clock(app, org), org)
    chosen = report.month(_month_param(month))
    context = {
        "report": report,
        "chosen": chosen,
        "chosen_label": month_name(chosen.month, language, long=True),
        "as_of": day(chosen.as_of, language),
        "blocks": [_block(report, chosen, c, language) for c in report.currencies],
        "ui_language": language,
        **_chrome(operator, "dashboard"),
    }
    return templates.TemplateResponse(request, "console/dashboard.html", context, headers=NO_STORE)
