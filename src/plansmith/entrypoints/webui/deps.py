"""Dependencies shared by the portal and console routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from plansmith.bootstrap import Plansmith


def get_container(request: Request) -> Plansmith:
    container: Plansmith = request.app.state.plansmith
    return container


Container = Annotated[Plansmith, Depends(get_container)]
