"""Settings from the environment, in one place, with defaults that work locally."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """What every Gongjian service reads from its environment.

    Variable names are the field names in upper case (``DATABASE_URL``, ``KAFKA_BOOTSTRAP`` …).
    """

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    service_name: str = "gongjian"
    # Production unless told otherwise: a missing variable must never switch the hardening off.
    environment: Literal["development", "production"] = "production"
    host: str = "127.0.0.1"
    port: int = 4001

    database_url: str = "postgresql://postgres@127.0.0.1:5432/gongjian"
    database_pool_min: int = 2
    database_pool_max: int = 10

    kafka_bootstrap: str = "127.0.0.1:9092"
    # Tansu (the local broker) supports neither; a real Kafka cluster should turn both on.
    kafka_idempotence: bool = False
    kafka_request_timeout_ms: int = 5000
    # Prepended to every topic name: lets a test run share an external broker with `make up`.
    topic_namespace: str = ""

    # Shared with the gateway: only requests carrying it may ask _service and _entities.
    # Required in production; in development an empty one lets anyone ask them.
    gateway_secret: str = Field(default="", repr=False)
    # Serve /metrics on this port of its own (for Prometheus, behind the NetworkPolicy);
    # unset: /metrics on the service's port, as in development.
    metrics_port: int | None = None

    jwt_secret: str = Field(default="", repr=False)
    jwt_algorithm: Literal["HS256", "RS256", "ES256"] = "HS256"
    jwt_jwks_url: str = ""
    jwt_audience: str = ""
    jwt_issuer: str = "gongjian"
    # A token living longer than this (exp - iat) is refused, whoever signed it.
    jwt_max_lifetime_s: int = 12 * 3600

    # base64 keys for personal data (AES-256-GCM, HMAC-SHA256); the local runner generates them
    personal_data_key: str = Field(default="", repr=False)
    personal_data_hmac_key: str = Field(default="", repr=False)

    relay_batch_size: int = 200
    relay_poll_interval_s: float = 1.0
    # A row the broker refuses this many times (e.g. larger than the broker accepts) is parked.
    relay_park_after: int = 5
    consumer_fetch_wait_ms: int = 50
    consumer_batch_size: int = 500
    # Transient failures (database or broker away) are retried without limit, backing off to this.
    consumer_max_backoff_s: float = 30.0

    outbox_retention_days: float = 7
    inbox_retention_days: float = 30
    retention_interval_s: float = 3600

    # Migrations wait this long for another replica that holds the migration lock, then fail.
    migration_lock_wait_s: float = 600
    # A migration waits at most this long for a table lock (never blocking live traffic long).
    migration_lock_timeout: str = "10s"

    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    # How long an idle HTTP connection is kept open: longer than the gateway keeps its idle
    # connections to the subgraphs, so the gateway never reuses one the subgraph is closing
    # (uvicorn's default of 5 s met Node's and gave ECONNRESET under load).
    http_keep_alive_s: int = 75
    # Longest an answer kept by the response cache may be served (gongjian_kit.response_cache;
    # notifications clear it sooner); 0 turns the cache off.
    response_cache_max_age_s: float = 1.0

    # Personal data key rotation (gongjian_kit.personal_data): new ciphertexts name this version
    # of PERSONAL_DATA_KEY; PERSONAL_DATA_OLD_KEYS ("version:base64key,…") stay readable until
    # `gongjian keys rotate` has re-encrypted everything under the current key.
    personal_data_key_version: int = 1
    personal_data_old_keys: str = Field(default="", repr=False)

    # Signed download links (gongjian_kit.files): the HMAC key of this service's links (32+
    # characters; required in production by a service that serves files, a fixed development
    # key otherwise), how long a link lives, and the gateway's public address that links start
    # with (the frontend's origin for /graphql and /files alike).
    files_secret: str = Field(default="", repr=False)
    files_link_ttl_s: int = Field(default=600, gt=0)
    public_url: str = "http://127.0.0.1:4000"

    @property
    def is_development(self) -> bool:
        """Development turns on GraphiQL, introspection and detailed logs."""
        return self.environment == "development"

    def topic(self, name: str) -> str:
        """The broker-side name of a logical topic, with the namespace if one is set."""
        return f"{self.topic_namespace}{name}"
