"""Reading a nested pydantic config from a YAML/JSON file or overrides, with one-line errors.

``ConfigFile`` is the base of ``ml.runtime.config.PipelineConfig`` and ``ml.events.config.EventConfig``:
``from_file(path)`` reads YAML (``.yaml``/``.yml``) or JSON, ``validated(data, source)`` checks a dict
and ``config.updated(overrides)`` returns a validated copy with nested overrides applied. Every
failure is an ``InputError`` naming the file (or "command line") and the bad key
(``invalid value for 'fusion.text_weight': ...``). Unknown keys are errors (``extra="forbid"``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from ml.runtime.errors import InputError

_SEE = "README's \"--config FILE\" shows an example; every key is in ml/runtime/config.py"
_FIX = {False: "fix the JSON there (keys and strings in double quotes, no trailing commas) or write the config as "
               f"YAML in a .yaml file; {_SEE}",
        True: f"fix the YAML there (nested keys indented with spaces, \"key: value\" pairs); {_SEE}"}


class ConfigFile(BaseModel):
    """A strict (unknown keys forbidden) config model that loads from files and overrides."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def from_file(cls, path: str | Path) -> Self:
        """Read a YAML or JSON config; errors name the file and the bad key."""
        path = Path(path)
        if not path.is_file():
            raise InputError(f"{path}: config file not found")
        try:
            text = path.read_text(encoding="utf-8")
            if path.suffix.lower() in {".yaml", ".yml"}:
                import yaml

                data = yaml.safe_load(text) or {}
            else:
                data = json.loads(text)
        except UnicodeDecodeError:
            raise InputError(f"{path}: the config is not UTF-8 text; save it as UTF-8") from None
        except ValueError as exc:
            raise InputError(f"{path}: cannot parse config ({exc.__class__.__name__}: {str(exc).splitlines()[0]}); "
                             f"{_FIX[path.suffix.lower() in {'.yaml', '.yml'}]}") from None
        except Exception as exc:  # noqa: BLE001 - yaml.YAMLError and the like, one line
            mark = getattr(exc, "problem_mark", None)  # yaml: where it stopped, and what is wrong there
            at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise InputError(f"{path}: cannot parse config{at}: {what}; {_FIX[True]}") from None
        return cls.validated(data, source=str(path))

    @classmethod
    def validated(cls, data: dict, source: str = "config") -> Self:
        """``data`` checked against the model; the first error becomes an ``InputError`` naming its key."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            if err["type"] == "extra_forbidden":  # a misspelt or unknown key: say which keys that level has
                raise InputError(f"{source}: unknown key '{where}'{cls._close_key(err['loc'])}") from None
            message = str(err["msg"]).removeprefix("Value error, ")  # pydantic's prefix of a validator's message
            raise InputError(f"{source}: invalid value for '{where}': {message}") from None

    @classmethod
    def from_stored(cls, data: dict) -> tuple[Self, list[str]]:
        """A config stored by an earlier version (a run's manifest): keys this version no longer has are left
        out (``cluster.merge``, renamed), and a section whose values no longer validate goes back to its defaults.
        Returns the config and what was left out, as dotted keys."""
        dropped: list[str] = []

        def known(model: Any, values: Any, at: str) -> Any:
            fields = getattr(model, "model_fields", None)
            if fields is None or not isinstance(values, dict):
                return values
            kept = {}
            for key, value in values.items():
                if key not in fields:
                    dropped.append(f"{at}{key}")
                    continue
                kept[key] = known(fields[key].annotation, value, f"{at}{key}.")
            return kept

        data = known(cls, data or {}, "")
        for _ in range(len(data) + 1):
            try:
                return cls.model_validate(data), dropped
            except ValidationError as exc:
                section = str(exc.errors()[0]["loc"][0])
                if section not in data:
                    break
                dropped.append(f"{section} (its values: defaults used)")
                data = {k: v for k, v in data.items() if k != section}
        return cls(), dropped

    @classmethod
    def _close_key(cls, loc: tuple) -> str:
        """" (did you mean 'cluster'?)" for the key at ``loc`` among its level's keys, else the level's keys."""
        import difflib

        model: Any = cls
        for part in loc[:-1]:
            field = getattr(model, "model_fields", {}).get(part)
            model = getattr(field, "annotation", None) if field is not None else None
            if model is None or not hasattr(model, "model_fields"):
                return ""
        keys = list(model.model_fields)
        close = difflib.get_close_matches(str(loc[-1]), keys, n=1)
        if close:
            return f" (did you mean '{'.'.join([*map(str, loc[:-1]), close[0]])}'?)"
        return f" (the keys here: {', '.join(keys[:12])}{', …' if len(keys) > 12 else ''})"

    def updated(self, overrides: dict) -> Self:
        """A copy with nested overrides applied (``{"section": {"key": value}}``), validated."""
        data = self.model_dump()
        for section, values in overrides.items():
            if isinstance(values, dict):
                data.setdefault(section, {}).update(values)
            else:
                data[section] = values
        return self.validated(data, source="command line")
