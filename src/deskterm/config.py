"""Settings from one TOML file, typed and validated. Sections owned by other modules ([sla],
[keymap], [[views]], ...) are handed to them raw through `Config.section` and validated there.

The file is $DESKTERM_CONFIG, else config.toml in the platform's user config folder. A missing file
means defaults; a broken one is an error that names the file, the key and the problem.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deskterm.domain import DEFAULT_ESCALATION_LEVELS


class ConfigError(ValueError):
    """A setting is wrong; str() says which file, which key and what is wrong with it."""

    def __init__(self, path: Path | None, key: str, problem: str) -> None:
        self.path, self.key, self.problem = path, key, problem
        where = str(path) if path else "the settings"
        super().__init__(f"{where}: {key}: {problem}")


def config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("deskterm"))


def default_config_path() -> Path:
    env = os.environ.get("DESKTERM_CONFIG")
    return Path(env).expanduser() if env else config_dir() / "config.toml"


DEFAULT_SHOP_NAME = "Our shop"


@dataclass(frozen=True, slots=True)
class Shop:
    name: str = DEFAULT_SHOP_NAME
    url: str = ""
    signature: str = ""


@dataclass(frozen=True, slots=True)
class Config:
    path: Path | None = None
    agent: str = field(default_factory=getpass.getuser)
    shop: Shop = Shop()
    escalation_levels: tuple[str, ...] = DEFAULT_ESCALATION_LEVELS
    raw: dict[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> Any:
        """The raw value of a top-level section, for the module that owns and validates it."""
        return self.raw.get(name)


def _string(path: Path | None, table: dict, key: str, prefix: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(path, f"{prefix}.{key}", f"must be text, not {type(value).__name__}")
    return value


def parse_config(data: dict[str, Any], path: Path | None = None) -> Config:
    """Validate the shared sections of an already-parsed TOML document."""
    agent_table = data.get("agent", {})
    shop_table = data.get("shop", {})
    for name, table in (("agent", agent_table), ("shop", shop_table)):
        if not isinstance(table, dict):
            raise ConfigError(path, name, "must be a table, like [" + name + "]")
    agent = _string(path, agent_table, "name", "agent", getpass.getuser()).strip()
    if not agent:
        raise ConfigError(path, "agent.name", "cannot be empty")
    shop = Shop(
        name=_string(path, shop_table, "name", "shop", DEFAULT_SHOP_NAME),
        url=_string(path, shop_table, "url", "shop", ""),
        signature=_string(path, shop_table, "signature", "shop", ""),
    )
    levels = data.get("escalation", {}).get("levels", list(DEFAULT_ESCALATION_LEVELS))
    if (
        not isinstance(levels, list)
        or len(levels) < 2
        or not all(isinstance(x, str) and x.strip() for x in levels)
    ):
        raise ConfigError(
            path, "escalation.levels", "must be a list of at least two names, lowest first"
        )
    return Config(path=path, agent=agent, shop=shop, escalation_levels=tuple(levels), raw=data)


def read_settings_file(path: Path | str | None = None) -> tuple[Path | None, dict[str, Any]]:
    """The settings file's path and parsed TOML; (None, {}) when the default file is absent."""
    resolved = Path(path).expanduser() if path else default_config_path()
    if not resolved.exists():
        if path:
            raise ConfigError(resolved, "(file)", "does not exist")
        return None, {}
    try:
        return resolved, tomllib.loads(resolved.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(resolved, "(syntax)", str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(resolved, "(file)", f"cannot be read: {exc}") from None


def load_config(path: Path | str | None = None) -> Config:
    """Read and validate the settings file; defaults when it does not exist."""
    resolved, data = read_settings_file(path)
    return parse_config(data, resolved)
