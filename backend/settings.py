"""All backend settings in one place (pydantic-settings, environment prefix `PERSONAS_`).

Every field can come from the environment, e.g. `PERSONAS_STORE_URL=sqlite:///x.db`,
`PERSONAS_CORS_ORIGINS=http://localhost:3000,https://example.org`, `PERSONAS_API_KEY=...`.
Bad values fail at start-up with the field named, not on the first request.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ml.store.settings import default_store_url

REPO = Path(__file__).resolve().parents[1]
_KEY = re.compile(r"[!-~]{16,}")  # printable ASCII, no spaces (it travels in an HTTP header)
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


class Settings(BaseSettings):
    """Backend configuration; see docs/api.md for the list and defaults."""

    model_config = SettingsConfigDict(env_prefix="PERSONAS_", extra="ignore", validate_default=True,
                                      hide_input_in_errors=True)  # keys never reach a log

    home: Path = Field(default_factory=lambda: Path("~/.personas").expanduser(),
                       description="Directory for the default SQLite store.")
    store_url: str = Field("", description="Results store URL (sqlite:///path.db or firestore://project). "
                                            "Empty = sqlite:///<home>/personas.db.")
    runs_dir: Path | None = Field(None, description="Optional directory of run directories "
                                                    "(<runs_dir>/<run_id>/model) for the assign endpoint.")
    frontend_dir: Path | None = Field(REPO / "frontend" / "out",
                                      description="Built static frontend served at / when present.")
    # -- access (docs/security.md); declared before cors_origins, whose check reads them --
    api_key: SecretStr | None = Field(None, description="When set, every /api/v1 request but /health needs "
                                                        "'Authorization: Bearer <key>'.")
    admin_key: SecretStr | None = Field(None, description="Key of the write endpoints (DELETE /runs/{id}); "
                                                          "writes are off without it.")
    allow_writes: bool | None = Field(None, description="Unset: writes are on exactly when admin_key is set; "
                                                        "false: off even with it; true: requires admin_key.")
    docs: bool = Field(True, description="Serve /api/v1/docs and /api/v1/openapi.json (false: both 404).")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Allowed CORS origins (comma-separated scheme://host[:port]); "
                                          "'*' only while writes are off.")
    max_body_bytes: int = Field(5_000_000, ge=1024, description="Largest accepted request body.")
    max_assign_batch: int = Field(2_000, ge=1, description="Most conversations in one assign call.")
    max_assign_events: int = Field(100_000, ge=1, description="Most event rows in one assign call (event runs).")
    max_text_chars: int = Field(20_000, ge=1, description="Longest text of one posted conversation.")
    default_page_size: int = Field(50, ge=1)
    max_page_size: int = Field(200, ge=1, description="Page size cap (larger requests are clamped).")
    default_map_points: int = Field(5_000, ge=1)
    max_map_points: int = Field(20_000, ge=1, description="Map sample cap (larger requests are clamped).")
    map_text_chars: int = Field(160, ge=0, description="Member texts in the map are cut to this length.")
    cache_ttl_s: float = Field(10.0, ge=0, description="Seconds persona documents stay cached in memory (0 = off).")
    model_cache_size: int = Field(4, ge=1, description="Persona models kept in memory (one per run).")
    assign_queue_max_texts: int = Field(256, ge=1, description="Texts (or event users) waiting per run's "
                                        "assign queue; over it: 429 with Retry-After.")
    assign_max_batch_texts: int = Field(64, ge=1, description="Most texts the assign worker encodes in one pass.")
    assign_max_wait_s: float = Field(2.0, gt=0, description="Longest wait in the assign queue; then 503.")
    assign_deadline_s: float = Field(4.0, gt=0, description="Longest time from queueing to answer, plus the "
                                                            "request's own texts at the measured throughput; "
                                                            "then 503 (past the model's first load).")
    assign_max_batch_s: float = Field(1.0, gt=0, description="Most seconds of work (at the measured throughput) "
                                                             "the assign worker takes in one batch.")
    assign_torch_threads: int = Field(0, ge=0, description="torch threads of the assign encoder (0 = CPUs - 1, "
                                                           "at least 1: a core stays with the API).")
    assign_encoder_process: bool = Field(True, description="Assign (frames, features, encoding, "
                                                           "placement) in a separate process (false: in a thread "
                                                           "of the API process).")
    assign_encoder_nice: int = Field(10, ge=0, le=19, description="Priority increment (os.nice) of the encoder "
                                                                  "process, so reads go first.")
    assign_encode_timeout_s: float = Field(120.0, gt=0, description="An encoder call running longer is killed "
                                                                    "(503) and the process restarted.")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("api_key", "admin_key")
    @classmethod
    def _strong_key(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None:
            return value
        if not _KEY.fullmatch(value.get_secret_value()):
            raise ValueError("must be 16 or more printable ASCII characters without spaces; make one with "
                             "python -c 'import secrets; print(secrets.token_urlsafe(32))'")
        other = info.data.get("api_key")
        if info.field_name == "admin_key" and other is not None and other == value:
            raise ValueError("must differ from api_key (every reader would be an admin)")
        return value

    @field_validator("allow_writes")
    @classmethod
    def _writes_need_admin_key(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        if value and info.data.get("admin_key") is None and "admin_key" in info.data:
            raise ValueError("writes need an admin key: set PERSONAS_ADMIN_KEY (docs/security.md)")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _named_origins(cls, value: list[str], info: ValidationInfo) -> list[str]:
        for origin in value:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(f"{origin!r} is not an origin: write scheme://host[:port], without a path")
        if "*" in value:
            writes = info.data.get("admin_key") is not None and info.data.get("allow_writes") is not False
            if writes:
                raise ValueError("'*' is refused while writes are on (PERSONAS_ADMIN_KEY set): name the origins")
            if len(value) > 1:
                raise ValueError("'*' stands alone: give either '*' or a list of origins")
        return value

    @property
    def writes_enabled(self) -> bool:
        """Write endpoints answer only with an admin key configured, unless allow_writes is false."""
        return self.admin_key is not None and self.allow_writes is not False

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.store_url:  # the pipeline's default too (ml.store.settings.default_store_url)
            self.store_url = default_store_url(self.home)
        if self.default_page_size > self.max_page_size:
            raise ValueError("default_page_size must not exceed max_page_size")
        if self.default_map_points > self.max_map_points:
            raise ValueError("default_map_points must not exceed max_map_points")
        if self.assign_deadline_s < self.assign_max_wait_s:
            raise ValueError("assign_deadline_s must not be shorter than assign_max_wait_s")
        return self


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment (tests pass their own)."""
    return Settings()


def public_store_url(url: str) -> str:
    """The store URL without credentials or local paths beyond the scheme and name (for /ready)."""
    scheme, _, rest = url.partition("://")
    if scheme == "sqlite":
        return f"sqlite:///{os.path.basename(rest)}"
    return f"{scheme}://{rest.split('@')[-1]}"
