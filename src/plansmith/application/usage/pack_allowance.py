"""The extra pack units an invoice prediction counts: the packs paid in a subscription's
period, per meter (the ``Packs`` seam of application/usage/prediction.py), plus, for a pack
being reviewed, the units it would add."""

from __future__ import annotations

from collections.abc import Mapping

from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.usage.prediction import Packs
from plansmith.domain.kernel.periods import Period
from plansmith.domain.subscriptions.subscription import Subscription


def paid_packs(uow: UnitOfWork, adding: Mapping[tuple[str, str], int] | None = None) -> Packs:
    """Packs for a prediction run inside ``uow`` (one read per period asked for). ``adding``:
    (subscription id, meter) -> units of a pack not bought yet, counted as if paid."""
    extra = dict(adding or {})

    def units(sub: Subscription, period: Period) -> Mapping[str, int]:
        found = uow.usage_packs.paid_units(sub.account_id, {period.start})
        per_meter: dict[str, int] = {}
        for (start, meter), paid in found.items():
            if start == period.start:
                per_meter[meter] = per_meter.get(meter, 0) + sum(paid)
        for (sub_id, meter), more in extra.items():
            if sub_id == sub.id:
                per_meter[meter] = per_meter.get(meter, 0) + more
        return per_meter

    return units
