"""The [metrics] section of the settings file: what support costs, and the handle-time idle cut.

[metrics]
monthly_cost = 4200      # or hourly_rate = 22.5 (per hour of measured handle time)
currency = "EUR"
idle = "5m"              # a gap without a key press longer than this is not handle time
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from deskterm.config import Config, ConfigError, Section
from deskterm.durations import DurationError, parse_duration
from deskterm.metrics.figures import Costs

KEYS = {"monthly_cost", "hourly_rate", "currency", "idle"}
DEFAULT_IDLE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class MetricsSettings:
    costs: Costs = field(default_factory=Costs)
    idle: timedelta = DEFAULT_IDLE


def _amount(table: dict[str, Any], key: str, config: Config) -> float | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(config.path, f"metrics.{key}", "must be a number, 0 or more")
    return float(value)


def parse_metrics(raw: Any, config: Config) -> MetricsSettings:
    if raw is None:
        return MetricsSettings()
    if not isinstance(raw, dict):
        raise ConfigError(config.path, "metrics", "must be a table, like [metrics]")
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise ConfigError(
            config.path,
            f"metrics.{unknown[0]}",
            f"unknown setting; known: {', '.join(sorted(KEYS))}",
        )
    currency = raw.get("currency", "")
    if not isinstance(currency, str):
        raise ConfigError(config.path, "metrics.currency", 'must be text, like "EUR"')
    idle = raw.get("idle", "5m")
    try:
        gap = parse_duration(idle) if isinstance(idle, str) else None
    except DurationError:
        gap = None
    if gap is None or gap <= timedelta(0):
        raise ConfigError(config.path, "metrics.idle", 'must be a duration, like "5m"')
    costs = Costs(
        _amount(raw, "monthly_cost", config), _amount(raw, "hourly_rate", config), currency
    )
    return MetricsSettings(costs, gap)


METRICS = Section("metrics", parse_metrics)
