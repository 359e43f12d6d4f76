"""Settings of the submission service (environment variables with the KHO_ prefix)."""

from kho_platform.settings import PlatformSettings


class SubmissionSettings(PlatformSettings):
    service_name: str = "submission"
    http_port: int = 8103
