"""Settings of the feedback service (environment variables with the KHO_ prefix).

Lists are given as JSON, e.g. KHO_HOLIDAYS='["2026-04-30", "2026-05-01"]'."""

from __future__ import annotations

from datetime import date

from kho_platform.settings import PlatformSettings
from pydantic import Field

from kho_feedback.domain.calendar import WorkingCalendar


class FeedbackSettings(PlatformSettings):
    service_name: str = "feedback"
    http_port: int = 8104

    dispute_response_working_days: int = Field(
        default=5, ge=1, le=60, description="working days the issuing agency has to resolve a dispute"
    )
    holidays: list[date] = Field(default_factory=list, description="public holidays (not working days)")
    extra_working_days: list[date] = Field(
        default_factory=list, description="compensatory working days that fall on a weekend"
    )
    local_utc_offset_hours: int = Field(default=7, ge=-12, le=14, description="the agencies' local time (UTC+7)")
    supervisor_role: str = Field(
        default="dispute_supervisor", min_length=1, description="role an overdue dispute is escalated to"
    )
    overdue_check_seconds: float = Field(default=60.0, gt=0, description="how often overdue disputes are looked for")
    corrected_file_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)

    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar.of(self.holidays, self.extra_working_days, self.local_utc_offset_hours)
