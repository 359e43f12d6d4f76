"""FastAPI dependencies: the use cases' context and the caller (verified principal and its token).

Coroutines, though they never wait: FastAPI runs a plain function dependency in its thread pool, two
thread hops per request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from kho_platform.auth import current_principal
from kho_platform.errors import problem

from kho_submission.domain.errors import DomainError
from kho_submission.service_layer.context import Caller, Context


async def context(request: Request) -> Context:
    ctx: Context = request.app.state.deps
    return ctx


async def caller(request: Request) -> Caller:
    # verifies the token itself rather than through a nested dependency: every request resolves this one
    principal = await current_principal(request)
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    return Caller(principal=principal, token=token)


Ctx = Annotated[Context, Depends(context)]
Who = Annotated[Caller, Depends(caller)]


async def domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem(exc.status, exc.code, exc.detail, exc.detail_vi, **exc.extra)
