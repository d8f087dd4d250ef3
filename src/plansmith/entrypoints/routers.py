"""The routers of the app, made so that their routes join the app as they are.

FastAPI works out a route (its parameters, dependencies and answer model) when the route is
declared, and `include_router` works every route out once more, at the app's first request,
to merge in what the app adds: that second pass was up to a sixth of the start-up. So every router
is made here with what the app would add (the text check before the route, operation ids that
are the routes' names), and `add_routes` puts its routes in the app unchanged.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute

from plansmith.entrypoints.request_text import refuse_unstorable_text


def route_name(route: APIRoute) -> str:
    """A route's operation id: its operation_id, else its function's name, never the long
    path-derived default, since generated clients name their functions after it."""
    return route.name


# Before every route: no NUL or lone surrogate in a path, query or JSON string.
EVERY_ROUTE = [Depends(refuse_unstorable_text)]


def app_router(**options: Any) -> APIRouter:
    """An APIRouter whose routes need nothing from the app they join (options: APIRouter's)."""
    return APIRouter(dependencies=EVERY_ROUTE, generate_unique_id_function=route_name, **options)


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """Put router's routes in app as they are; a router not made by app_router is refused,
    since its routes would miss the text check (and app.dependency_overrides: nothing here
    uses it)."""
    for route in router.routes:
        if isinstance(route, APIRoute) and not any(
            d.dependency is refuse_unstorable_text for d in route.dependencies
        ):
            raise TypeError(f"{route.path}: its router was not made by app_router()")
    app.router.routes.extend(router.routes)
