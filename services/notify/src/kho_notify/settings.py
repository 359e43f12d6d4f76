"""Settings of the notify service (environment variables with the KHO_ prefix)."""

from kho_platform.settings import PlatformSettings


class NotifySettings(PlatformSettings):
    service_name: str = "notify"
    http_port: int = 8105
