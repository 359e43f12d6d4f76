"""The composition root shared by every service: one call builds the FastAPI app with its Kafka broker,
database, object store, outbox relay, consumers, health checks and metrics.

A service is declared as a ServiceDefinition (what it consumes and produces, its collections, buckets and
HTTP routers). Startup never fails because a server is down: the service answers /healthz at once, keeps
trying to reach Kafka, the database and S3 in the background, and /readyz says what is missing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from kho_contracts import Event, KafkaRecord
from kho_contracts.topics import dead_letter_topic
from minio import Minio
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from kho_platform.auth import TokenVerifier
from kho_platform.consumer import ProcessedEvents, Subscription, bind_subscription
from kho_platform.errors import install_error_handlers
from kho_platform.logging import configure_logging, get_logger
from kho_platform.messaging import RecordPublisher, ensure_topics, make_broker, record_for
from kho_platform.middleware import CorrelationAndMetrics
from kho_platform.mongo import CollectionIndexes, Document, ensure_indexes, make_mongo_client, ping
from kho_platform.outbox import OutboxRelay, outbox_indexes
from kho_platform.settings import PlatformSettings
from kho_platform.storage import ensure_buckets, make_s3_client, s3_ping

log = get_logger(__name__)


@dataclass
class Runtime:
    """The connections of one running service, shared by its HTTP handlers and event handlers."""

    settings: PlatformSettings
    mongo: AsyncMongoClient[Document]
    db: AsyncDatabase[Document]
    s3: Minio
    broker: KafkaBroker
    publisher: RecordPublisher
    relay: OutboxRelay
    buckets: dict[str, str]
    probe_topic: str
    """A topic of the service: the readiness probe asks Kafka for its metadata."""
    bootstrapped: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, event: Event, *, event_id: str | None = None) -> Any:
        """A Kafka record for an event produced now (to be written through the outbox)."""
        return record_for(event, self.settings, event_id=event_id)

    async def publish(self, record: KafkaRecord) -> None:
        """Sends a record now, acknowledged by the broker (the outbox relays use this)."""
        await self.publisher.publish(record)

    async def publish_many(self, records: Sequence[KafkaRecord]) -> None:
        """Sends records in order, all acknowledged by the broker."""
        await self.publisher.publish_many(records)

    def bucket(self, name: str) -> str:
        return self.buckets[name]


BackgroundTask = Callable[[Runtime, Any], Coroutine[Any, Any, None]]


@dataclass
class ServiceDefinition:
    name: str
    title: str
    description: str
    produces: Sequence[type[Event]] = ()
    subscriptions: Sequence[Subscription] = ()
    outbox_collections: Sequence[str] = ()
    indexes: Sequence[CollectionIndexes] = ()
    buckets: Sequence[str] = ()
    routers: Sequence[APIRouter] = ()
    make_deps: Callable[[Runtime], Any] = lambda runtime: runtime
    background: Sequence[BackgroundTask] = ()
    """Long-running loops started once the servers answer (sweepers, schedulers, refreshers)."""


async def _retry_forever(what: str, step: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
    delay = 0.5
    while not stop.is_set():
        try:
            await step()
            return
        except Exception as exc:
            log.warning("startup step failed, will retry", step=what, error=f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, 5.0)


def create_service_app(definition: ServiceDefinition, settings: PlatformSettings) -> FastAPI:
    if settings.service_name != definition.name:
        settings = settings.model_copy(update={"service_name": definition.name})

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(definition.name, settings.log_level)
        mongo = make_mongo_client(settings)
        db = mongo[settings.database_name]
        broker = make_broker(settings)
        publisher = RecordPublisher(settings)
        relay = OutboxRelay(
            db,
            definition.outbox_collections,
            publisher.publish,
            poll_seconds=settings.outbox_poll_seconds,
            lease_seconds=settings.outbox_lease_seconds,
        )
        runtime = Runtime(
            settings=settings,
            mongo=mongo,
            db=db,
            s3=make_s3_client(settings),
            broker=broker,
            publisher=publisher,
            relay=relay,
            buckets={name: settings.bucket(name) for name in definition.buckets},
            probe_topic=(service_topics(definition, settings) or ["__consumer_offsets"])[0],
        )
        deps = definition.make_deps(runtime)
        for subscription in definition.subscriptions:
            bind_subscription(broker, subscription, settings, deps=deps, publish=publisher.publish)
        app.state.runtime = runtime
        app.state.deps = deps
        app.state.token_verifier = TokenVerifier(settings)

        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []

        async def start_broker() -> None:
            try:
                await publisher.start()
                await broker.start()
            except Exception:
                with contextlib.suppress(Exception):
                    await broker.stop()
                with contextlib.suppress(Exception):
                    await publisher.stop()
                raise

        async def bootstrap() -> None:
            indexes = [*definition.indexes, *outbox_indexes(definition.outbox_collections), *ProcessedEvents.indexes()]
            await _retry_forever("database indexes", lambda: ensure_indexes(db, indexes), stop)
            await _retry_forever(
                "object store buckets", lambda: ensure_buckets(runtime.s3, list(runtime.buckets.values())), stop
            )
            await _retry_forever(
                "kafka topics", lambda: ensure_topics(settings, service_topics(definition, settings)), stop
            )
            await _retry_forever("kafka broker", start_broker, stop)
            if stop.is_set():
                return
            runtime.bootstrapped.set()
            log.info("service ready", service=definition.name)
            tasks.append(asyncio.create_task(relay.run(), name="outbox-relay"))
            for job in definition.background:
                tasks.append(asyncio.create_task(job(runtime, deps), name=getattr(job, "__name__", "job")))

        tasks.append(asyncio.create_task(bootstrap(), name="bootstrap"))
        try:
            yield
        finally:
            stop.set()
            relay.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await broker.stop()
            with contextlib.suppress(Exception):
                await publisher.stop()
            await mongo.close()

    app = FastAPI(title=definition.title, description=definition.description, lifespan=lifespan)
    app.state.definition = definition  # what the service consumes and produces (AsyncAPI generation reads it)
    install_error_handlers(app)

    app.add_middleware(CorrelationAndMetrics)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": definition.name}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        runtime: Runtime = request.app.state.runtime
        checks = await readiness_checks(runtime)
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "service": definition.name, "checks": checks},
            status_code=200 if ready else 503,
        )

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    for router in definition.routers:
        app.include_router(router)
    return app


def service_topics(definition: ServiceDefinition, settings: PlatformSettings) -> list[str]:
    """Every topic the service reads or writes, with the configured prefix."""
    names = {cls.TOPIC for cls in definition.produces}
    names |= {topic for subscription in definition.subscriptions for topic in subscription.topics}
    if definition.subscriptions:
        names.add(dead_letter_topic(definition.name))
    return sorted(f"{settings.kafka_topic_prefix}{name}" for name in names)


async def readiness_checks(runtime: Runtime, limit_seconds: float = 2.0) -> dict[str, str]:
    async def check(step: Callable[[], Awaitable[Any]]) -> str:
        try:
            await asyncio.wait_for(step(), limit_seconds)
        except Exception as exc:
            return f"failed: {type(exc).__name__}: {exc}"[:300]
        return "ok"

    async def kafka() -> None:
        await runtime.publisher.ping(runtime.probe_topic)

    async def bootstrap() -> None:
        if not runtime.bootstrapped.is_set():
            raise RuntimeError("still connecting to the servers")

    names = ("bootstrap", "database", "object_store", "kafka")
    results = await asyncio.gather(
        check(bootstrap),
        check(lambda: ping(runtime.db)),
        check(lambda: s3_ping(runtime.s3, list(runtime.buckets.values()))),
        check(kafka),
    )
    return dict(zip(names, results, strict=True))


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
