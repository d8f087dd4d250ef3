"""Dependencies shared by the portal and console routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from plansmith.application.billing import test_clocks
from plansmith.application.kernel.ports import Clock
from plansmith.bootstrap import Plansmith


async def get_container(request: Request) -> Plansmith:
    # async: FastAPI runs a sync dependency in the thread pool, a hop for nothing here.
    container: Plansmith = request.app.state.plansmith
    return container


Container = Annotated[Plansmith, Depends(get_container)]


def organization_clock(app: Plansmith, organization_id: str) -> Clock:
    """The clock the organization's use cases run on: a sandbox's test clock, else the wall
    clock. Sessions, CSRF tokens and portal links keep the wall clock: they guard real time."""
    return test_clocks.organization_clock(app.uow(), app.clock, organization_id)
