import uuid

import httpx
from fastapi import FastAPI, HTTPException
from kho_platform.context import current_correlation
from kho_platform.middleware import HTTP_REQUESTS, CorrelationAndMetrics


def app() -> FastAPI:
    api = FastAPI()
    api.add_middleware(CorrelationAndMetrics)

    @api.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        if thing_id == "missing":
            raise HTTPException(404)
        return {"seen": current_correlation().correlation_id}

    return api


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://test")


def count(route: str, status: str) -> float:
    return HTTP_REQUESTS.labels("GET", route, status)._value.get()


async def test_a_well_formed_correlation_id_is_kept_returned_and_seen_by_the_handler() -> None:
    async with client() as c:
        response = await c.get("/things/a", headers={"x-correlation-id": "portal-123"})
    assert response.headers["x-correlation-id"] == "portal-123"
    assert response.json() == {"seen": "portal-123"}


async def test_a_missing_or_malformed_correlation_id_is_replaced() -> None:
    async with client() as c:
        plain = await c.get("/things/a")
        bad = await c.get("/things/a", headers={"x-correlation-id": "bad id; drop"})
    for response in (plain, bad):
        made = response.headers["x-correlation-id"]
        assert uuid.UUID(made) and response.json() == {"seen": made}


async def test_requests_are_counted_by_route_template_and_status() -> None:
    ok, missing = count("/things/{thing_id}", "200"), count("/things/{thing_id}", "404")
    unmatched = count("unmatched", "404")
    async with client() as c:
        await c.get("/things/a")
        await c.get("/things/missing")
        await c.get("/nowhere")
    assert count("/things/{thing_id}", "200") == ok + 1
    assert count("/things/{thing_id}", "404") == missing + 1
    assert count("unmatched", "404") == unmatched + 1
