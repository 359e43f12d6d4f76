"""Settings of the feedback service (environment variables with the KHO_ prefix)."""

from kho_platform.settings import PlatformSettings


class FeedbackSettings(PlatformSettings):
    service_name: str = "feedback"
    http_port: int = 8104
