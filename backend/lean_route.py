"""A route class whose common request skips FastAPI's per-request dependency solving.

The upload routes take the same few things every time: `str` path parameters, one JSON body
model, the caller (`current_user`) and the services. FastAPI finds them by solving the route's
dependency graph for each request, and parses the body twice over (`json.loads` to a dict, then
validates the dict): together about a third of the backend's CPU per upload under a burst. A
`LeanRoute` works out once, when the route is built, whether its endpoint takes only those
things; if it does, a request whose body is `application/json` and valid for the model goes
straight to the endpoint, with the body validated from its bytes in one pass
(`model_validate_json`).

Anything else takes FastAPI's own handler, unchanged: a body that is not valid for the model (so
every client error keeps FastAPI's status, order of checks and error body), any other content
type, and every request while the app has dependency overrides. The route is still an `APIRoute`,
so the OpenAPI schema is built from the same endpoint signature as before.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from backend.deps import current_user, get_services

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What an eligible endpoint takes, by parameter name."""

    body_name: str
    body_model: type[BaseModel]
    path_names: tuple[str, ...]
    user_name: str | None
    services_name: str | None


class LeanRoute(APIRoute):
    """An `APIRoute` with a direct path for endpoints that take only what the upload routes do."""

    def get_route_handler(self) -> Handler:
        """FastAPI's handler, fronted by the direct path when this endpoint allows it."""
        full = super().get_route_handler()
        plan = _plan_of(self)
        if plan is None:
            return full
        return _lean_handler(self, plan, full)

    @property
    def takes_direct_path(self) -> bool:
        """Whether this route's endpoint qualifies for the direct path."""
        return _plan_of(self) is not None


def _plan_of(route: APIRoute) -> _Plan | None:
    """The plan for `route`, or None when its endpoint needs FastAPI's general handling."""
    dependant = route.dependant
    if (
        dependant.query_params
        or dependant.header_params
        or dependant.cookie_params
        or len(dependant.body_params) != 1
        or route._embed_body_fields
        or any(
            name is not None
            for name in (
                dependant.request_param_name,
                dependant.websocket_param_name,
                dependant.http_connection_param_name,
                dependant.response_param_name,
                dependant.background_tasks_param_name,
                dependant.security_scopes_param_name,
            )
        )
        or not _builds_own_response(route.endpoint)
    ):
        return None
    body = dependant.body_params[0]
    model = body.field_info.annotation
    if not (isinstance(model, type) and issubclass(model, BaseModel)) or body.field_info.metadata:
        return None
    paths = []
    for param in dependant.path_params:
        if param.field_info.annotation is not str or param.field_info.metadata:
            return None
        paths.append(param.name)
    user_name = services_name = None
    for dep in dependant.dependencies:
        if dep.call is current_user and dep.name is not None:
            user_name = dep.name
        elif dep.call is get_services and dep.name is not None:
            services_name = dep.name
        else:
            return None
    return _Plan(body.name, model, tuple(paths), user_name, services_name)


def _builds_own_response(endpoint: Callable[..., Any]) -> bool:
    """Whether `endpoint` is declared to return a Response (so FastAPI would not validate it)."""
    returns = inspect.signature(endpoint, eval_str=True).return_annotation
    return isinstance(returns, type) and issubclass(returns, Response)


def _lean_handler(route: APIRoute, plan: _Plan, full: Handler) -> Handler:
    endpoint = route.endpoint
    is_coroutine = inspect.iscoroutinefunction(endpoint)
    overrides = route.dependency_overrides_provider

    async def handle(request: Request) -> Response:
        if request.headers.get("content-type") != "application/json" or (
            overrides is not None and getattr(overrides, "dependency_overrides", None)
        ):
            return await full(request)
        try:
            body = plan.body_model.model_validate_json(await request.body())
        except ValidationError:
            # FastAPI's handler reads the same body again (the request keeps it) and answers
            # with its own status and error for whatever is wrong, in its own order of checks.
            return await full(request)
        values: dict[str, Any] = {plan.body_name: body}
        path_params = request.path_params
        for name in plan.path_names:
            values[name] = path_params[name]
        if plan.user_name is not None:
            values[plan.user_name] = await current_user(request)
        if plan.services_name is not None:
            values[plan.services_name] = await get_services(request)
        if is_coroutine:
            response: Response = await endpoint(**values)
        else:
            response = await run_in_threadpool(endpoint, **values)
        return response

    return handle
