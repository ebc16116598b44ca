"""Settings read from the environment template.yaml sets: validated once, on first use, never at import."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from flagpost.lazy import lazy


class Settings(BaseSettings):
    """Everything configurable about Flagpost. Each variable is FLAGPOST_<FIELD> in upper case."""

    model_config = SettingsConfigDict(env_prefix="FLAGPOST_", frozen=True, extra="ignore")

    stage: str = "dev"
    principals_table: str = ""
    items_table: str = ""
    idempotency_table: str = ""
    kms_key_id: str = ""
    feed_table: str = ""
    stats_table: str = ""
    forward_queue_url: str = ""
    forward_dlq_url: str = ""
    # Push delivery: attempts before an entry is marked failed and parked in the DLQ (the queue's
    # maxReceiveCount in template.yaml must match), the age limit, and HTTP timeouts.
    forward_max_attempts: int = Field(default=30, ge=1, le=100)
    forward_max_age_seconds: int = Field(default=24 * 3600, gt=0)
    forward_backoff_base_seconds: float = Field(default=2.0, gt=0)
    forward_backoff_max_seconds: int = Field(default=900, ge=1, le=43200)
    # A platform whose endpoint leaves this many pushes in a row unanswered is left alone for a
    # cool-down (doubling each time it fails again, up to the max); its jobs wait without attempts.
    forward_breaker_failures: int = Field(default=3, ge=1, le=100)
    forward_breaker_cooldown_seconds: float = Field(default=30.0, gt=0)
    forward_breaker_cooldown_max_seconds: float = Field(default=900.0, gt=0)
    push_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    push_read_timeout_seconds: float = Field(default=10.0, gt=0)
    # A push as a whole (connect, send, headers back): ForwardFunction handles 2 a batch in 30 s.
    push_total_timeout_seconds: float = Field(default=12.0, gt=0)
    # How long a verified API key is trusted from memory; revocation must bite within 5 s.
    auth_cache_seconds: float = Field(default=4.0, ge=0, le=5)
    # How long a rotated-out key or signing secret keeps working.
    rotation_overlap_seconds: int = Field(default=24 * 3600, ge=0)
    # Review deadlines by priority (TCO Regulation: removal orders within one hour).
    deadline_threat_to_life_s: int = Field(default=3600, gt=0)
    deadline_crisis_s: int = Field(default=4 * 3600, gt=0)
    deadline_standard_s: int = Field(default=24 * 3600, gt=0)
    # Free text (report descriptions, notes) is deleted after this many days; items and decisions stay.
    text_retention_days: int = Field(default=400, gt=0)
    # A reviewer's exclusive hold on a claimed item; renewing grants this much again from now.
    lease_seconds: int = Field(default=600, ge=1, le=3600)
    # Per-flagger limit on reports accepted per minute (0 = unlimited).
    flagger_reports_per_minute: int = Field(default=6000, ge=0)
    # The notifier of every DSA Art. 16 notice (template parameters OperatorName, OperatorEmail); notice
    # e-mails are sent from OperatorEmail, the SES identity the template declares.
    operator_name: str = Field(default="", max_length=200)
    operator_email: str = Field(default="", max_length=254)
    # Only `flagpost local` sets this: lets platforms register http://127.0.0.1 endpoints.
    allow_loopback_endpoints: bool = False

    def require(self, *names: str) -> None:
        missing = [n for n in names if not getattr(self, n)]
        if missing:
            env = ", ".join(f"FLAGPOST_{n.upper()}" for n in missing)
            raise RuntimeError(f"missing configuration: {env}")


@lazy
def settings() -> Settings:
    return Settings()
