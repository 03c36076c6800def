"""Store settings from the environment (pydantic-settings), read fresh on each call.

`PERSONAS_STORE_URL`  store URL (`sqlite:///path.db`, `firestore://project-id`); when unset,
`PERSONAS_HOME`       the folder of the default SQLite file (default `~/.personas`).
`FIRESTORE_EMULATOR_HOST`  `host:port` of a Firestore emulator; read by the Firestore client.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StoreSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    store_url: str | None = Field(default=None, validation_alias="PERSONAS_STORE_URL")
    home: Path = Field(default=Path("~/.personas"), validation_alias="PERSONAS_HOME")
    firestore_emulator_host: str | None = Field(default=None, validation_alias="FIRESTORE_EMULATOR_HOST")

    def resolved_store_url(self) -> str:
        if self.store_url:
            return self.store_url
        return "sqlite:///" + str(self.home.expanduser().resolve() / "personas.db")


def get_store_settings() -> StoreSettings:
    return StoreSettings()
