"""Effective settings: environment, then the TOML file in the config dir, then defaults."""

from __future__ import annotations

import os
import sys
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import typer
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from pm.domain.errors import BadInput
from pm.domain.limits import RiskLimits

PAPER_URL = "https://paper-api.alpaca.markets"
LIVE_HOST = "api.alpaca.markets"
DATA_URL = "https://data.alpaca.markets"
FRED_URL = "https://api.stlouisfed.org"

LogLevel = Literal["debug", "info", "warning", "error", "critical"]
MAX_RECONCILE_INTERVAL_S = 7 * 86400


def default_database_url() -> str:
    """A SQLite file in the user's data directory (XDG on POSIX, LOCALAPPDATA on Windows)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'pm' / 'pm.db'}"


class Settings(BaseSettings):
    """Every knob `pm` has. Field names are the environment variable names, lower-cased."""

    model_config = SettingsConfigDict(extra="ignore", validate_default=True)

    alpaca_api_key: SecretStr | None = None
    alpaca_secret_key: SecretStr | None = None
    alpaca_base_url: str = PAPER_URL
    alpaca_data_url: str = DATA_URL
    fred_api_key: SecretStr | None = None
    pm_broker: Literal["alpaca", "demo"] = "alpaca"
    pm_database_url: str = Field(default_factory=default_database_url)
    pm_auto_migrate: bool = True
    pm_allow_live: bool = False
    # `pm mcp`: write tools at all, writes on the live endpoint, and the accounts they may touch.
    pm_mcp_allow_writes: bool = False
    pm_mcp_allow_live: bool = False
    pm_mcp_accounts: str = ""  # comma-separated account ids
    pm_timeout: float = Field(default=30.0, gt=0, le=600)
    pm_log_level: LogLevel = "warning"
    pm_log_format: Literal["console", "json"] | None = None
    # Seconds between reconciliations of an account (also "90s", "5m", "1h"); see `pm reconcile`.
    pm_reconcile_interval: int = Field(default=300, ge=1, le=MAX_RECONCILE_INTERVAL_S)
    # Risk limits (percent of equity) and the warn / critical ratios of a limit.
    pm_max_position_pct: Decimal = Field(default=Decimal(5), gt=0, le=100)
    pm_max_sector_pct: Decimal = Field(default=Decimal(25), gt=0, le=100)
    pm_max_daily_loss_pct: Decimal = Field(default=Decimal(5), gt=0, le=100)
    pm_max_drawdown_pct: Decimal = Field(default=Decimal(5), gt=0, le=100)
    pm_risk_warn_ratio: Decimal = Field(default=Decimal("0.8"), gt=0, le=1)
    pm_risk_critical_ratio: Decimal = Field(default=Decimal("0.95"), gt=0, le=1)
    # Annual risk-free rate for `pm performance`'s Sharpe and Sortino, as a fraction (0.04 = 4 %).
    # Above -1: at -100 % a year the per-period rate is -1 and the ratios are meaningless.
    pm_risk_free_rate: Decimal = Field(default=Decimal(0), gt=-1, le=1)
    pm_rebalance_cash_buffer_pct: Decimal = Field(default=Decimal("0.25"), ge=0, le=100)
    pm_rebalance_min_trade_pct: Decimal = Field(default=Decimal("0.1"), ge=0, le=100)
    # Tax awareness: a buy that would wash a recent loss sale warns or is rejected; how far
    # (percentage points of equity) a tax-aware rebalance may leave a trim above its target.
    pm_wash_sale: Literal["warn", "block"] = "warn"
    pm_tax_drift_tolerance_pct: Decimal = Field(default=Decimal(1), ge=0, le=100)
    # `pm watch`'s scheduled and threshold rebalance runs execute only when true (else they
    # are stored pending, with an alert, for `pm rebalance run --run ID --execute`)
    pm_rebalance_auto_execute: bool = False
    # FRED for `pm regime`: its endpoint (tests and proxies point elsewhere), the cache's TTL in
    # seconds, and the VIX above which the circuit breaker trips by itself (emergency stop).
    fred_api_url: str = FRED_URL
    pm_regime_ttl: int = Field(default=300, ge=0, le=MAX_RECONCILE_INTERVAL_S)
    pm_emergency_vix: Decimal = Field(default=Decimal(35), gt=0, le=1000)
    # `pm size`: the fraction of full Kelly to bet.
    pm_kelly_fraction: Decimal = Field(default=Decimal("0.25"), gt=0, le=1)
    # `pm exits`: seconds between the watch loop's exit checks, and whether it sends the exits
    # (otherwise it only alerts).
    pm_exits_interval: int = Field(default=60, ge=1, le=MAX_RECONCILE_INTERVAL_S)
    pm_exits_auto_execute: bool = False

    @field_validator("alpaca_base_url", "alpaca_data_url")
    @classmethod
    def _strip_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        try:
            parts = urlsplit(value)
            valid = bool(parts.hostname) and parts.port != 0 and not any(c.isspace() for c in value)
        except ValueError:  # a bad IPv6 literal or port
            valid = False
        if not valid:
            raise ValueError(f"is not a valid URL, got {value!r}")
        if value.endswith("/v2"):
            raise ValueError("must not end in /v2 (pm appends the API version itself)")
        return value

    @field_validator("fred_api_url")
    @classmethod
    def _fred_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")) or not urlsplit(value).hostname:
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value

    @field_validator("fred_api_key", mode="before")
    @classmethod
    def _fred_key(cls, value: Any) -> Any:
        """A blank key (`FRED_API_KEY=$UNSET`) is no key: the regime is unknown with a hint,
        rather than a request FRED refuses."""
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("pm_regime_ttl", mode="before")
    @classmethod
    def _ttl(cls, value: Any) -> Any:
        return parse_duration_s(value) if isinstance(value, str) else value

    @field_validator("pm_reconcile_interval", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        seconds = parse_duration_s(value)
        if seconds > MAX_RECONCILE_INTERVAL_S:
            raise ValueError(f"must be at most 7d, got {value!r}")
        return seconds

    @field_validator("pm_log_level", "pm_log_format", "pm_broker", mode="before")
    @classmethod
    def _lower_choice(cls, value: Any) -> Any:
        """Choices are case-insensitive, as on the command line (PM_BROKER=Demo)."""
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def is_live(self) -> bool:
        """True when orders would move real money (Alpaca's live trading host)."""
        return urlsplit(self.alpaca_base_url).hostname == LIVE_HOST

    @property
    def risk_limits(self) -> RiskLimits:
        """The hard limits `pm risk` and pre-trade validation enforce."""
        return RiskLimits(
            max_position_pct=self.pm_max_position_pct,
            max_sector_pct=self.pm_max_sector_pct,
            max_daily_loss_pct=self.pm_max_daily_loss_pct,
            max_drawdown_pct=self.pm_max_drawdown_pct,
            warn_ratio=self.pm_risk_warn_ratio,
            critical_ratio=self.pm_risk_critical_ratio,
        )

    @property
    def has_credentials(self) -> bool:
        return bool(self.alpaca_api_key and self.alpaca_secret_key)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        from_file = read_config_file()
        if from_file:
            sources.append(InitSettingsSource(settings_cls, init_kwargs=from_file))
        return tuple(sources)


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration_s(text: str) -> int:
    """Whole seconds from "300", "300s", "5m", "1h" or "1d"."""
    value = text.strip().lower()
    unit = _DURATION_UNITS.get(value[-1:])
    number = value[:-1] if unit else value
    if not number.isdigit():
        raise ValueError(f"{text!r} is not a duration (300, 300s, 5m, 1h)")
    return int(number) * (unit or 1)


def config_file_path() -> Path:
    """`PM_CONFIG_FILE`, else config.toml in the user's config dir (typer.get_app_dir("pm"))."""
    explicit = os.environ.get("PM_CONFIG_FILE")
    if explicit:
        return Path(explicit).expanduser()
    return Path(typer.get_app_dir("pm")) / "config.toml"


def read_config_file() -> dict[str, Any]:
    """The settings in the TOML file, keys lower-cased; {} when the default file is absent.

    Anything wrong with the file is `BadInput` naming it: a `PM_CONFIG_FILE` that does not
    exist, a directory, a file that is not UTF-8 TOML, or keys that are not settings (a typo
    would otherwise be ignored without a word).
    """
    path = config_file_path()
    if not path.exists():
        if os.environ.get("PM_CONFIG_FILE"):
            raise BadInput(f"PM_CONFIG_FILE names {path}, which does not exist")
        return {}
    import tomllib  # only when there is a file to read

    if path.is_dir():
        raise BadInput(f"config file {path} is a directory, not a TOML file")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"config file {path} is not a text (UTF-8 TOML) file") from None
    except OSError as exc:
        raise BadInput(f"cannot read config file {path} ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"config file {path} is not valid TOML ({exc})") from None
    settings = {key.lower(): value for key, value in data.items()}
    unknown = sorted(key for key in settings if key not in Settings.model_fields)
    if unknown:
        raise BadInput(
            f"config file {path}: unknown setting{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)} (pm config show lists the known ones)"
        )
    return settings


_SECRET_FIELDS = frozenset({"alpaca_api_key", "alpaca_secret_key", "fred_api_key"})


def load_settings(**overrides: Any) -> Settings:
    """Read settings; `overrides` are command-line options, which beat everything else.

    A bad value or a bad config file is `BadInput` naming the setting and where it was set,
    in one line and in pm's words (never pydantic's).
    """
    from pydantic import ValidationError

    from pm.validation_text import phrase

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "settings"
            where = name.upper() if name.upper() in os.environ else _where_set(name)
            problems.append(f"{where} {phrase(err, secret=name in _SECRET_FIELDS)}")
        raise BadInput(f"invalid setting: {'; '.join(problems)}") from None


def _where_set(name: str) -> str:
    """How to name a setting that is not in the environment: its key in the config file."""
    if name in read_config_file():
        return f"{name} (in {config_file_path()})"
    return name.upper()


@dataclass(frozen=True, slots=True)
class SettingView:
    """One setting as `pm config show` prints it: masked when secret, with its origin."""

    name: str
    value: str | float | bool | Decimal | None
    origin: Literal["env", "file", "default", "option"]


def describe(settings: Settings, options: Collection[str] = ()) -> list[SettingView]:
    """Every setting with secrets masked and the database password hidden; `options` names
    the settings given on the command line, which beat the environment."""
    from pm.db.urls import mask_url

    file_keys = set(read_config_file())
    views = []
    for name in Settings.model_fields:
        value: Any = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = "***"
        elif name == "pm_database_url":
            value = mask_url(value)
        if name in options:
            origin: Literal["env", "file", "default", "option"] = "option"
        elif name.upper() in os.environ:
            origin = "env"
        elif name in file_keys:
            origin = "file"
        else:
            origin = "default"
        views.append(SettingView(name.upper(), value, origin))
    return views
