"""Settings of the vault service (environment variables with the KHO_ prefix)."""

from kho_platform.settings import PlatformSettings


class VaultSettings(PlatformSettings):
    service_name: str = "vault"
    http_port: int = 8101
