"""Store settings from the environment (pydantic-settings), read fresh on each call.

`PERSONAS_STORE_URL`  store URL (`sqlite:///path.db`, `firestore://project-id`); when unset,
`PERSONAS_HOME`       the folder of the default SQLite file (default `~/.personas`); the same default
                      for the pipeline, the backend and scripts/quickstart.sh (`default_store_url`).
`FIRESTORE_EMULATOR_HOST`  `host:port` of a Firestore emulator; read by the Firestore client.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOME = "~/.personas"


class StoreSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    store_url: str | None = Field(default=None, validation_alias="PERSONAS_STORE_URL")
    home: Path = Field(default=Path(DEFAULT_HOME), validation_alias="PERSONAS_HOME")
    firestore_emulator_host: str | None = Field(default=None, validation_alias="FIRESTORE_EMULATOR_HOST")

    def resolved_store_url(self) -> str:
        return self.store_url or default_store_url(self.home)


def default_store_url(home: Path | str = DEFAULT_HOME) -> str:
    """The one default store of every entry point (`python -m ml.run`, `python -m backend`,
    scripts/quickstart.sh): `sqlite:///<home>/personas.db`, home = `PERSONAS_HOME` or `~/.personas`."""
    return "sqlite:///" + str(Path(home).expanduser().resolve() / "personas.db")


def get_store_settings() -> StoreSettings:
    return StoreSettings()
