"""The ledger part of the /v1 API: an account's double-entry ledger transactions with their
entries, for audits. A thin read: it opens the unit of work, checks the account belongs to the
key's organization (404 otherwise) and reads its transactions through the ledger port.
"""

from __future__ import annotations

from enum import Enum

from plansmith.entrypoints.api.deps import CurrentOrg, UoW
from plansmith.entrypoints.api.invoicing.ledger_schemas import TransactionOut
from plansmith.entrypoints.api.invoicing.routes import account_locale
from plansmith.entrypoints.api.schemas import ListOut
from plansmith.entrypoints.routers import app_router

router = app_router(prefix="/v1")
TAGS: list[str | Enum] = ["invoicing"]


@router.get(
    "/accounts/{account_id}/ledger",
    operation_id="get_account_ledger",
    response_model=ListOut[TransactionOut],
    tags=TAGS,
)
def ledger(account_id: str, org: CurrentOrg, uow: UoW) -> ListOut[TransactionOut]:
    """Every ledger transaction of the account with its entries, oldest first, for audits."""
    with uow:
        locale = account_locale(uow, org.id, account_id)
        transactions = uow.ledger.transactions(org.id, account_id)
    return ListOut[TransactionOut](data=[TransactionOut.of(t, locale) for t in transactions])
