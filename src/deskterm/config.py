"""Settings from one TOML file, read once at start into typed sections, one validator each.

[agent], [shop] and [escalation] are validated here when the file is read. The other tables
([sla], [keymap], [tui], [[views]]) belong to the modules that use them: each declares a
`Section` with its validator, and `Config.get` runs it once and keeps the typed result. A top-level
table nobody declared is reported as an error, so a typo like [shpo] does not pass in silence.

The file is $DESKTERM_CONFIG, else config.toml in the platform's user config folder. A missing file
means defaults; a broken one is an error that names the file, the key and the problem. Writes
(`edit_settings_file`) go through tomlkit, so the user's comments and layout stay as they were.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from deskterm.domain import DEFAULT_ESCALATION_LEVELS

if TYPE_CHECKING:
    import tomlkit


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

# Every top-level table the settings file may hold. [agent], [shop] and [escalation] are validated
# here; [sla] by sla/settings.py, [keymap] by keys.py, [tui] and [[views]] by views.py,
# [metrics] by metrics/settings.py, [team] by team/roster.py.
TABLES = frozenset(
    {"agent", "shop", "escalation", "sla", "keymap", "tui", "views", "metrics", "team"}
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Section(Generic[T]):
    """A top-level table of the settings file and the one function that validates it.

    `parse` gets the table's raw value (None when the file has none) and the Config it belongs to
    (its path for error messages, the agent); it returns the typed settings or raises ConfigError.
    """

    name: str
    parse: Callable[[Any, Config], T]


@dataclass(frozen=True, slots=True)
class Shop:
    name: str = DEFAULT_SHOP_NAME
    url: str = ""
    signature: str = ""
    # The shop's own mail addresses (lower case): mail from them in an import is our replies.
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Config:
    path: Path | None = None
    agent: str = field(default_factory=getpass.getuser)
    shop: Shop = Shop()
    escalation_levels: tuple[str, ...] = DEFAULT_ESCALATION_LEVELS
    raw: dict[str, Any] = field(default_factory=dict)
    # Sections already validated by get(), by name: each is checked once per file read.
    _parsed: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def get(self, section: Section[T]) -> T:
        """The section's typed settings, validated on first use."""
        if section.name not in self._parsed:
            self._parsed[section.name] = section.parse(self.raw.get(section.name), self)
        parsed: T = self._parsed[section.name]
        return parsed


def _string(path: Path | None, table: dict, key: str, prefix: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(path, f"{prefix}.{key}", f"must be text, not {type(value).__name__}")
    return value


def _table(raw: Any, name: str, path: Path | None) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(path, name, "must be a table, like [" + name + "]")
    return raw


def parse_agent(raw: Any, path: Path | None = None) -> str:
    """[agent]: the name actions are recorded under (default: the login name)."""
    agent = _string(path, _table(raw, "agent", path), "name", "agent", getpass.getuser()).strip()
    if not agent:
        raise ConfigError(path, "agent.name", "cannot be empty")
    return agent


def parse_shop(raw: Any, path: Path | None = None) -> Shop:
    """[shop]: the name, address and signature that macros' templates use, and the shop's own
    mail addresses."""
    table = _table(raw, "shop", path)
    addresses = table.get("addresses", [])
    if not isinstance(addresses, list) or not all(
        isinstance(a, str) and "@" in a for a in addresses
    ):
        raise ConfigError(
            path, "shop.addresses", 'must be a list of mail addresses, like ["help@shop.example"]'
        )
    return Shop(
        name=_string(path, table, "name", "shop", DEFAULT_SHOP_NAME),
        url=_string(path, table, "url", "shop", ""),
        signature=_string(path, table, "signature", "shop", ""),
        addresses=tuple(a.strip().lower() for a in addresses),
    )


def parse_escalation(raw: Any, path: Path | None = None) -> tuple[str, ...]:
    """[escalation]: the escalation levels, lowest first."""
    levels = _table(raw, "escalation", path).get("levels", list(DEFAULT_ESCALATION_LEVELS))
    if (
        not isinstance(levels, list)
        or len(levels) < 2
        or not all(isinstance(x, str) and x.strip() for x in levels)
    ):
        raise ConfigError(
            path, "escalation.levels", "must be a list of at least two names, lowest first"
        )
    return tuple(levels)


def parse_config(data: dict[str, Any], path: Path | None = None) -> Config:
    """Validate an already-parsed TOML document: its tables, and the sections owned here."""
    unknown = sorted(set(data) - set(TABLES))
    if unknown:
        raise ConfigError(
            path,
            unknown[0],
            f"is not a setting deskterm knows; the tables are {', '.join(sorted(TABLES))}",
        )
    return Config(
        path=path,
        agent=parse_agent(data.get("agent"), path),
        shop=parse_shop(data.get("shop"), path),
        escalation_levels=parse_escalation(data.get("escalation"), path),
        raw=data,
    )


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


def edit_settings_file(
    path: Path, change: Callable[[tomlkit.TOMLDocument], None], check: Callable[[Config], object]
) -> Config:
    """Change the settings file in place, keeping its comments and layout; returns the new Config.

    `change` edits the parsed document; `check` validates the result (it raises ConfigError) before
    the file is replaced, so a change that would break the file is never written.
    """
    # tomlkit costs ~20 ms to import and only writes need it.
    import tomlkit

    try:
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        document = tomlkit.parse(old)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "(file)", f"cannot be read: {exc}") from None
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(path, "(syntax)", str(exc)) from None
    change(document)
    text = tomlkit.dumps(document)
    config = parse_config(tomllib.loads(text), path)
    check(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    spare = path.with_name(path.name + ".saving")
    spare.write_text(text, encoding="utf-8")
    spare.replace(path)
    return config
