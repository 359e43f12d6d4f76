"""Settings shared by every service, read from the environment (prefix KHO_).

The defaults are for local development only: they point at the servers started by deploy/local and carry the
local S3 key. Outside development (KHO_ENVIRONMENT=production or staging) the defaults are refused.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_S3_ACCESS_KEY = "kho-local-access"
DEV_S3_SECRET_KEY = "kho-local-secret-change-me"  # noqa: S105  (the local development server's key)
DEV_OIDC_ISSUER = "http://127.0.0.1:8090"


class PlatformSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KHO_", env_file=None, extra="ignore")

    environment: Literal["development", "test", "staging", "production"] = "development"
    service_name: str = "kho"
    http_host: str = "127.0.0.1"
    http_port: int = 8100
    log_level: str = "INFO"

    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_topic_prefix: str = ""
    kafka_max_attempts: int = Field(default=3, ge=1, description="attempts of a handler before dead-lettering")
    kafka_retry_backoff_seconds: float = 0.2
    kafka_fetch_max_wait_ms: int = Field(
        default=100, ge=1, description="longest a consumer's fetch waits at the broker when no record is there"
    )
    kafka_partitions: int = Field(default=3, ge=1)
    kafka_replication_factor: int = Field(default=1, ge=1)

    mongo_url: str = "mongodb://127.0.0.1:27017/"
    mongo_database: str = ""

    s3_endpoint: str = "127.0.0.1:8333"
    s3_secure: bool = False
    s3_region: str = "us-east-1"
    s3_access_key: str = DEV_S3_ACCESS_KEY
    s3_secret_key: str = DEV_S3_SECRET_KEY
    s3_bucket_prefix: str = "kho-"

    # Defaults: the development identity provider of deploy/local/idp (made-up accounts, never for production).
    oidc_issuer: str = DEV_OIDC_ISSUER
    oidc_audience: str = "urn:kho-du-lieu"
    oidc_jwks_url: str = f"{DEV_OIDC_ISSUER}/jwks"
    oidc_jwks_file: str = ""

    outbox_poll_seconds: float = Field(
        default=5.0,
        description="seconds between scans for pending events no write has named to the relay (events left by "
        "a crash or another instance); named documents are published at once",
    )
    outbox_lease_seconds: float = 30.0
    gc_young_threshold: int = Field(
        default=20_000,
        ge=0,
        description="container allocations between two young collections of the garbage collector "
        "(kho_platform.collector); 0 keeps Python's default",
    )

    @model_validator(mode="after")
    def _refuse_dev_defaults_outside_development(self) -> Self:
        if self.environment in ("staging", "production"):
            problems = []
            if self.s3_access_key == DEV_S3_ACCESS_KEY or self.s3_secret_key == DEV_S3_SECRET_KEY:
                problems.append("KHO_S3_ACCESS_KEY/KHO_S3_SECRET_KEY still hold the development key")
            if self.oidc_issuer == DEV_OIDC_ISSUER or self.oidc_jwks_url.startswith(DEV_OIDC_ISSUER):
                problems.append("KHO_OIDC_ISSUER/KHO_OIDC_JWKS_URL still point at the development identity provider")
            if not (self.oidc_jwks_url or self.oidc_jwks_file):
                problems.append("KHO_OIDC_JWKS_URL (or KHO_OIDC_JWKS_FILE) is not set")
            if problems:
                raise ValueError(f"unsafe settings for {self.environment}: " + "; ".join(problems))
        return self

    @property
    def database_name(self) -> str:
        return self.mongo_database or f"kho_{self.service_name}"

    def bucket(self, name: str) -> str:
        return f"{self.s3_bucket_prefix}{name}"
