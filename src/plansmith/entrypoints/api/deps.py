"""FastAPI dependencies, as Annotated aliases the routes declare."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from plansmith.application.billing.test_clocks import clock_for
from plansmith.application.kernel.errors import Unauthorized
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.organizations.api_keys import Caller, authenticate_api_key
from plansmith.bootstrap import Plansmith
from plansmith.domain.organizations.organization import Organization
from plansmith.entrypoints.api.idempotency import CALLER

bearer = HTTPBearer(auto_error=False, description="An API key: sk_...")


# The dependencies that do no I/O are async: FastAPI runs a sync one in the thread pool, a
# round trip between threads for nothing. Those that read the database stay sync.
async def get_container(request: Request) -> Plansmith:
    container: Plansmith = request.app.state.plansmith
    return container


Container = Annotated[Plansmith, Depends(get_container)]


async def get_uow(container: Container) -> UnitOfWork:
    return container.uow()


UoW = Annotated[UnitOfWork, Depends(get_uow)]


def get_caller(
    request: Request,
    container: Container,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """The organization and the API key of this request, checked in the database once per
    request (no cache across requests: a revoked key is refused at once by every process).
    A POST or PATCH was checked by the idempotency middleware already, from the same header."""
    found: Caller | None = getattr(request.state, CALLER, None)
    if found is not None:
        return found
    if credentials is None:
        raise Unauthorized("send your API key as 'Authorization: Bearer sk_...'")
    return authenticate_api_key(
        container.uow(), container.clock, container.key_uses, credentials.credentials
    )


CurrentCaller = Annotated[Caller, Depends(get_caller)]


async def get_organization(caller: CurrentCaller) -> Organization:
    return caller.organization


CurrentOrg = Annotated[Organization, Depends(get_organization)]


async def get_organization_clock(container: Container, org: CurrentOrg) -> Clock:
    """The clock the organization's use cases run on: a sandbox's test clock, else the wall
    clock. Session and token expiry keep the wall clock: they guard real time."""
    return clock_for(org, container.clock)


OrgClock = Annotated[Clock, Depends(get_organization_clock)]
