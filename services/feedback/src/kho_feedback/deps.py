"""The dependencies of the service's handlers, built once per running service (see app.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kho_contracts import Event, KafkaRecord
from kho_platform.service import Runtime

from kho_feedback.adapters.disputes import DISPUTES, DisputeRepository
from kho_feedback.adapters.documents import DocumentProjection
from kho_feedback.adapters.dossiers import DossierUsage
from kho_feedback.adapters.files import CORRECTIONS_BUCKET, CorrectedFiles
from kho_feedback.domain.calendar import WorkingCalendar
from kho_feedback.settings import FeedbackSettings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Feedback:
    runtime: Runtime
    settings: FeedbackSettings
    disputes: DisputeRepository
    documents: DocumentProjection
    dossiers: DossierUsage
    files: CorrectedFiles
    calendar: WorkingCalendar
    clock: Callable[[], datetime] = field(default=utc_now)

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> Feedback:
        settings = runtime.settings
        if not isinstance(settings, FeedbackSettings):
            settings = FeedbackSettings.model_validate(settings.model_dump())
        return cls(
            runtime=runtime,
            settings=settings,
            disputes=DisputeRepository(runtime.db),
            documents=DocumentProjection(runtime.db),
            dossiers=DossierUsage(runtime.db),
            files=CorrectedFiles(runtime.s3, runtime.bucket(CORRECTIONS_BUCKET)),
            calendar=settings.calendar(),
        )

    def record(self, event: Event, *, event_id: str | None = None) -> KafkaRecord:
        record: KafkaRecord = self.runtime.record(event, event_id=event_id)
        return record

    def events_written(self, dispute_id: str) -> None:
        """The dispute has new events in its outbox: the relay publishes them now rather than at its next scan."""
        self.runtime.relay.wake(DISPUTES, dispute_id)
