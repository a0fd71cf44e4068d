"""The TOML configuration: accounts, poll settings, cache and webhook; secrets stay masked."""

from __future__ import annotations

import difflib
import os
import stat
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from smstui.display import resolve_zone
from smstui.errors import ConfigError
from smstui.model import Provider
from smstui.secrets import Secret
from smstui.smsc_hashes import ALGORITHMS, DEFAULT_ALGORITHMS

APP_NAME = "smstui"
DEFAULT_BASE_URLS = {Provider.SMSC: "https://smsc.ru", Provider.WEBCOM: "https://my3.webcom.mobi"}
# Which secret fields each provider understands; the first one present wins.
SECRET_FIELDS = {Provider.SMSC: ("password", "apikey"), Provider.WEBCOM: ("password", "token")}


# Sane ranges for the [poll] settings: below them a loop spins (a 1 µs flush interval burnt a
# whole core), above them the dashboard goes stale or the cache grows without end.
POLL_RANGES: dict[str, tuple[float, float]] = {
    "status_interval_s": (1.0, 86_400.0),
    "history_interval_s": (1.0, 86_400.0),
    "balance_interval_s": (1.0, 86_400.0),
    "max_age_h": (1.0, 720.0),
    "retention_days": (1.0, 3_650.0),
    "flush_interval_s": (0.1, 3_600.0),
}
TIMEOUT_RANGE = (0.5, 300.0)  # seconds a gateway request may take

# Every key each table takes: anything else is a mistake (`timout = 5` was silently ignored).
TOP_KEYS = ("accounts", "cache", "poll", "webhook", "ui", "alerts")
ACCOUNT_KEYS = (
    "name", "provider", "base_url", "login", "password", "password_env", "apikey", "apikey_env",
    "token", "token_env", "backup_urls", "timeout", "low_balance",
)  # fmt: skip
CACHE_KEYS = ("dir", "memory_messages", "prune_days")
WEBHOOK_KEYS = (
    "listen", "path_secret", "path_secret_env", "smsc_secret", "smsc_secret_env", "smsc_hashes",
    "header_timeout_s", "body_timeout_s", "max_future_s",
)  # fmt: skip
UI_KEYS = ("timezone", "theme", "keymap", "low_bandwidth")
ALERTS_KEYS = ("notify", "notify_env", "min_interval_s", "timeout_s")
# The dashboard's binding ids, the keys of [ui] keymap (`resend = "ctrl+r"`). The UI's Binding
# ids must stay these: the UI tests compare them with this list.
KEYMAP_IDS = (
    "detail", "resend", "bulk_resend", "lookup", "requery_stuck", "breakdown", "balance",
    "health", "alert_log", "filter", "failed_only", "export", "export_jsonl", "copy_id",
    "copy_phone", "pause", "maximize", "clear_filter", "quit", "help",
)  # fmt: skip


class InsecureConfigWarning(UserWarning):
    """An inline secret sits in a file that other users can read."""


@dataclass(frozen=True, slots=True)
class Account:
    """One gateway account smstui watches."""

    name: str
    provider: Provider
    base_url: str
    login: str = ""
    password: Secret | None = None
    apikey: Secret | None = None  # SMSC
    token: Secret | None = None  # Webcom
    backup_urls: tuple[str, ...] = ()  # SMSC www2 failover
    timeout_s: float = 10.0
    low_balance: float | None = None  # warn below this amount

    def secrets(self) -> tuple[Secret, ...]:
        """Every secret this account carries (for masking)."""
        return tuple(s for s in (self.password, self.apikey, self.token) if s)


@dataclass(frozen=True, slots=True)
class PollSettings:
    """How the background poller paces itself (always inside the gateways' limits)."""

    status_interval_s: float = 60.0
    history_interval_s: float = 120.0
    balance_interval_s: float = 60.0
    max_age_h: float = 26.0  # stop polling a non-final message after this long (validity ≤ 24 h)
    retention_days: float = 30.0
    flush_interval_s: float = 10.0  # checkpoint cadence: the journal is already durable


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """The push receiver smstui runs for the gateways."""

    listen: str | None = None  # "HOST:PORT"; None = off
    path_secret: Secret | None = None  # optional extra path segment behind a reverse proxy
    smsc_secret: Secret | None = None
    smsc_hashes: tuple[str, ...] = DEFAULT_ALGORITHMS  # control hashes accepted (crc32 if listed)
    header_timeout_s: float = 10.0  # request line + headers must arrive within this
    body_timeout_s: float = 10.0  # the whole body must arrive within this
    max_future_s: float = 300.0  # push times further ahead of receipt are clamped to receipt


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """[alerts]: where alerts go out (apprise URLs) and how often the same one may repeat."""

    # Each URL is a Secret as a whole: a Telegram bot token or a Slack token is part of it.
    notify: tuple[Secret, ...] = ()
    min_interval_s: float = 300.0  # the same kind of alert for an account at most this often
    timeout_s: float = 10.0  # one notifier's delivery attempt may take this long


@dataclass(frozen=True, slots=True)
class Config:
    """Everything smstui was configured with."""

    accounts: tuple[Account, ...] = ()
    cache_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir(APP_NAME)))
    memory_messages: int = 10_000  # [cache] messages kept in memory at open (newest first)
    prune_days: float = 0.0  # [cache] drop settled days older than this; 0 = keep everything
    poll: PollSettings = field(default_factory=PollSettings)
    webhook: WebhookSettings = field(default_factory=WebhookSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    keymap: dict[str, str] = field(default_factory=dict)
    theme: str | None = None
    timezone: str = "local"  # [ui] timezone: the one zone every time is shown in (display.py)
    low_bandwidth: bool = False  # [ui] low_bandwidth: live news every 2 s, a coarse health line
    path: Path | None = None

    def account(self, name: str | None) -> Account:
        """The named account, or the only/first one when no name is given."""
        if not self.accounts:
            raise ConfigError("no accounts configured", path=_p(self.path), key="accounts")
        if name is None:
            return self.accounts[0]
        for acc in self.accounts:
            if acc.name == name:
                return acc
        names = ", ".join(a.name for a in self.accounts)
        raise ConfigError(f"no account named {name!r} (have: {names})", path=_p(self.path))

    def secrets(self) -> tuple[Secret, ...]:
        """Every secret in the configuration (for masking output)."""
        out = [s for a in self.accounts for s in a.secrets()]
        out += [s for s in (self.webhook.smsc_secret, self.webhook.path_secret) if s]
        out += self.alerts.notify
        return tuple(out)


def default_config_path() -> Path:
    """SMSTUI_CONFIG, else config.toml in the platform config dir."""
    env = os.environ.get("SMSTUI_CONFIG")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def load_config(path: Path | str | None = None) -> Config:
    """Read and validate the configuration file; raise ConfigError naming file, key and problem."""
    path = Path(path).expanduser() if path else default_config_path()
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        hint = "file not found (create it, or try `smstui demo`)"
        raise ConfigError(hint, path=str(path)) from None
    except OSError as err:
        raise ConfigError(f"cannot read: {err.strerror}", path=str(path)) from None
    try:
        data = tomllib.loads(raw_bytes.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", path=str(path)) from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"invalid TOML: {err}", path=str(path)) from None
    except RecursionError:  # tomllib recurses per nesting level: `a = [[[[…` would crash
        raise ConfigError(
            "invalid TOML: arrays or tables nested too deeply", path=str(path)
        ) from None
    config = parse_config(data, path=path)
    if _has_inline_secret(data):
        _warn_if_readable(path)
    return config


def parse_config(data: dict[str, Any], *, path: Path | None = None) -> Config:
    """Build a Config from parsed TOML (also used by the demo, which has no file)."""
    reader = _Reader(path)
    reader.known(data, TOP_KEYS, "")
    accounts_raw = data.get("accounts", [])
    if not isinstance(accounts_raw, list):
        raise reader.error("accounts", "must be an array of tables ([[accounts]])")
    accounts = tuple(reader.account(i, raw) for i, raw in enumerate(accounts_raw))
    names = [a.name for a in accounts]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise reader.error("accounts", f"duplicate account name {dupes[0]!r}")
    cache = reader.table(data, "cache")
    webhook = reader.table(data, "webhook")
    poll = reader.table(data, "poll")
    ui = reader.table(data, "ui")
    alerts = reader.table(data, "alerts")
    reader.known(alerts, ALERTS_KEYS, "alerts")
    reader.known(cache, CACHE_KEYS, "cache")
    reader.known(webhook, WEBHOOK_KEYS, "webhook")
    reader.known(poll, PollSettings.__slots__, "poll")
    reader.known(ui, UI_KEYS, "ui")
    kwargs: dict[str, Any] = {}
    if "dir" in cache:
        kwargs["cache_dir"] = Path(reader.string(cache, "dir", "cache.dir")).expanduser()
    if "memory_messages" in cache:
        memory = reader.number(cache, "memory_messages", "cache.memory_messages", 10_000)
        if memory != int(memory) or not 1_000 <= memory <= 5_000_000:
            raise reader.error("cache.memory_messages", "must be a whole number, 1000 to 5000000")
        kwargs["memory_messages"] = int(memory)
    if "prune_days" in cache:
        # Deleting history is opt-in: a monitoring tool that forgets a campaign by default
        # gives wrong answers about it later, with no warning.
        days = cache["prune_days"]
        if days != 0 or isinstance(days, bool):
            days = reader.number(cache, "prune_days", "cache.prune_days", 0.0, (1.0, 3_650.0))
        kwargs["prune_days"] = float(days)
    return Config(
        accounts=accounts,
        poll=reader.poll(poll),
        webhook=reader.webhook(webhook),
        alerts=reader.alerts(alerts),
        keymap=reader.keymap(ui),
        theme=reader.string(ui, "theme", "ui.theme") if "theme" in ui else None,
        timezone=reader.zone(ui),
        low_bandwidth=reader.flag(ui, "low_bandwidth", "ui.low_bandwidth"),
        path=path,
        **kwargs,
    )


class _Reader:
    """Typed access to the parsed TOML that turns every problem into one ConfigError."""

    def __init__(self, path: Path | None) -> None:
        self.path = _p(path)

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(message, path=self.path, key=key)

    def known(self, data: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
        """Refuse the first key the table does not take, naming the likely intended one."""
        for name in data:
            if name not in allowed:
                key = f"{where}.{name}" if where else name
                raise self.error(key, "unknown key" + _did_you_mean(name, allowed))

    def flag(self, data: dict[str, Any], name: str, key: str) -> bool:
        """A true/false setting (absent: false); "yes" or 1 is a mistake, not a guess."""
        value = data.get(name, False)
        if not isinstance(value, bool):
            raise self.error(key, "must be true or false")
        return value

    def keymap(self, ui: dict[str, Any]) -> dict[str, str]:
        """[ui] keymap: binding id → keys ("ctrl+r" or "ctrl+r,f5"); ids from KEYMAP_IDS."""
        table = self.table(ui, "keymap", "ui.keymap")
        out: dict[str, str] = {}
        for action, keys in table.items():
            if action not in KEYMAP_IDS:
                raise self.error(
                    f"ui.keymap.{action}",
                    "unknown action" + _did_you_mean(action, KEYMAP_IDS)
                    + f" (actions: {', '.join(KEYMAP_IDS)})",
                )  # fmt: skip
            if not isinstance(keys, str) or not keys.strip(" ,"):
                raise self.error(f"ui.keymap.{action}", 'must be a key such as "ctrl+r"')
            out[action] = keys.strip()
        return out

    def table(self, data: dict[str, Any], name: str, key: str | None = None) -> dict[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, dict):
            raise self.error(key or name, "must be a table")
        return value

    def string(self, data: dict[str, Any], name: str, key: str, default: str | None = None) -> str:
        value = data.get(name, default)
        if value is None:
            raise self.error(key, "is required")
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, "must be a non-empty string")
        return value.strip()

    def number(
        self,
        data: dict[str, Any],
        name: str,
        key: str,
        default: float,
        bounds: tuple[float, float] | None = None,
    ) -> float:
        value = data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise self.error(key, "must be a positive number")  # `not >` refuses NaN too
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            raise self.error(key, f"must be between {bounds[0]:g} and {bounds[1]:g}")
        return float(value)

    def secret(self, data: dict[str, Any], name: str, where: str) -> Secret | None:
        """`name` inline, or `name_env` naming an environment variable; None when neither."""
        inline, env_name = data.get(name), data.get(f"{name}_env")
        if inline is not None and env_name is not None:
            raise self.error(f"{where}.{name}", f"give either {name} or {name}_env, not both")
        if inline is not None:
            if not isinstance(inline, str) or not inline:
                raise self.error(f"{where}.{name}", "must be a non-empty string")
            return Secret(inline)
        if env_name is None:
            return None
        if not isinstance(env_name, str) or not env_name:
            raise self.error(f"{where}.{name}_env", "must name an environment variable")
        value = os.environ.get(env_name)
        if not value:
            raise self.error(f"{where}.{name}_env", f"environment variable {env_name} is not set")
        return Secret(value)

    def account(self, index: int, raw: Any) -> Account:
        where = f"accounts[{index}]"
        if not isinstance(raw, dict):
            raise self.error(where, "must be a table")
        named = raw.get("name")
        self.known(raw, ACCOUNT_KEYS, f"{where} ({named})" if isinstance(named, str) else where)
        name = self.string(raw, "name", f"{where}.name")
        where = f"accounts[{index}] ({name})"
        provider_raw = self.string(raw, "provider", f"{where}.provider")
        try:
            provider = Provider(provider_raw.lower())
        except ValueError:
            raise self.error(
                f"{where}.provider", f"unknown provider {provider_raw!r} (use smsc or webcom)"
            ) from None
        base_url = self.string(raw, "base_url", f"{where}.base_url", DEFAULT_BASE_URLS[provider])
        if not base_url.startswith(("http://", "https://")):
            raise self.error(f"{where}.base_url", "must start with http:// or https://")
        secrets = {f: self.secret(raw, f, where) for f in ("password", "apikey", "token")}
        allowed = SECRET_FIELDS[provider]
        for field_name, value in secrets.items():
            if value is not None and field_name not in allowed:
                raise self.error(f"{where}.{field_name}", f"not used by {provider.value} accounts")
        login = raw.get("login", "")
        if not isinstance(login, str):
            raise self.error(f"{where}.login", "must be a string")
        key_field = allowed[1]
        if secrets[key_field] is None:
            if not login:
                raise self.error(f"{where}.login", f"is required (or give {key_field})")
            if secrets["password"] is None:
                raise self.error(
                    f"{where}.password",
                    f"missing secret: give password, password_env, {key_field} or {key_field}_env",
                )
        backups = raw.get("backup_urls", [])
        if not isinstance(backups, list) or not all(isinstance(u, str) for u in backups):
            raise self.error(f"{where}.backup_urls", "must be a list of URLs")
        low = raw.get("low_balance")
        return Account(
            name=name,
            provider=provider,
            base_url=base_url.rstrip("/"),
            login=login,
            password=secrets["password"],
            apikey=secrets["apikey"],
            token=secrets["token"],
            backup_urls=tuple(u.rstrip("/") for u in backups),
            timeout_s=self.number(raw, "timeout", f"{where}.timeout", 10.0, TIMEOUT_RANGE),
            low_balance=None if low is None else self.number(raw, "low_balance", where, 1.0),
        )

    def zone(self, ui: dict[str, Any]) -> str:
        """[ui] timezone: local (the default), UTC, MSK or an IANA name; checked here."""
        name = self.string(ui, "timezone", "ui.timezone", "local")
        try:
            resolve_zone(name)
        except ValueError as err:
            raise self.error("ui.timezone", str(err)) from None
        return name

    def poll(self, raw: dict[str, Any]) -> PollSettings:
        defaults = PollSettings()
        return PollSettings(
            **{
                name: self.number(
                    raw, name, f"poll.{name}", getattr(defaults, name), POLL_RANGES[name]
                )
                for name in PollSettings.__slots__
            }
        )

    def webhook(self, raw: dict[str, Any]) -> WebhookSettings:
        """The [webhook] table: address, secrets, accepted hashes, deadlines, clock tolerance."""
        defaults = WebhookSettings()

        def seconds(name: str, low: float, high: float) -> float:
            value = raw.get(name, getattr(defaults, name))
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.error(f"webhook.{name}", "must be a number of seconds")
            if not low <= value <= high:  # NaN fails this too
                raise self.error(f"webhook.{name}", f"must be between {low:g} and {high:g}")
            return float(value)

        return WebhookSettings(
            listen=self.listen(raw),
            path_secret=self.secret(raw, "path_secret", "webhook"),
            smsc_secret=self.secret(raw, "smsc_secret", "webhook"),
            smsc_hashes=self.hashes(raw),
            header_timeout_s=seconds("header_timeout_s", 0.1, 300),
            body_timeout_s=seconds("body_timeout_s", 0.1, 600),
            max_future_s=seconds("max_future_s", 0, 86400),
        )

    def alerts(self, raw: dict[str, Any]) -> AlertSettings:
        """[alerts]: `notify` (a list of apprise URLs) or `notify_env` (a variable holding them,
        separated by spaces), the minimum interval between repeats, the delivery timeout."""
        if "notify" in raw and "notify_env" in raw:
            raise self.error("alerts.notify", "give either notify or notify_env, not both")
        if "notify_env" in raw:
            joined = self.secret(raw, "notify", "alerts")
            urls = joined.reveal().split() if joined else []
        else:
            urls = raw.get("notify", [])
            if not isinstance(urls, list) or not all(isinstance(u, str) and u for u in urls):
                raise self.error("alerts.notify", 'must be a list of URLs ("json://host/path")')
        for index, url in enumerate(urls):
            if "://" not in url:  # which schemes exist is apprise's to say, when poll starts
                raise self.error(f"alerts.notify[{index}]", "must be a URL such as tgram://…")
        defaults = AlertSettings()
        interval = raw.get("min_interval_s", defaults.min_interval_s)
        if isinstance(interval, bool) or not isinstance(interval, int | float):
            raise self.error("alerts.min_interval_s", "must be a number of seconds")
        if not 0 <= interval <= 86_400:  # NaN fails this too
            raise self.error("alerts.min_interval_s", "must be between 0 and 86400")
        timeout = self.number(
            raw, "timeout_s", "alerts.timeout_s", defaults.timeout_s, (1.0, 120.0)
        )
        return AlertSettings(tuple(Secret(u.strip()) for u in urls), float(interval), timeout)

    def hashes(self, raw: dict[str, Any]) -> tuple[str, ...]:
        """`smsc_hashes`: which SMSC control hashes count (a name or a list of md5/sha1/crc32)."""
        value = raw.get("smsc_hashes", list(DEFAULT_ALGORITHMS))
        values = [value] if isinstance(value, str) else value
        if (
            not isinstance(values, list)
            or not values
            or any(not isinstance(v, str) for v in values)
        ):
            raise self.error("webhook.smsc_hashes", f"must list some of {', '.join(ALGORITHMS)}")
        names = tuple(dict.fromkeys(v.strip().lower() for v in values))
        unknown = [n for n in names if n not in ALGORITHMS]
        if unknown:
            raise self.error(
                "webhook.smsc_hashes", f"unknown hash {unknown[0]!r} (use {', '.join(ALGORITHMS)})"
            )
        return names

    def listen(self, raw: dict[str, Any]) -> str | None:
        if "listen" not in raw:
            return None
        value = self.string(raw, "listen", "webhook.listen")
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise self.error("webhook.listen", f"must be HOST:PORT, got {value!r}")
        return value


def _has_inline_secret(data: dict[str, Any]) -> bool:
    """True if any secret is written in the file itself rather than named by *_env."""
    tables = [a for a in data.get("accounts", []) if isinstance(a, dict)]
    webhook = data.get("webhook")
    if isinstance(webhook, dict):
        tables.append(webhook)
    alerts = data.get("alerts")
    if isinstance(alerts, dict):
        tables.append(alerts)
    keys = ("password", "apikey", "token", "smsc_secret", "path_secret", "notify")
    return any(t.get(k) for t in tables for k in keys)  # notify = [] holds nothing


def _warn_if_readable(path: Path) -> None:
    """Warn when group or others may read a file that holds inline secrets."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        warnings.warn(
            f"{path}: holds an inline secret but is readable by other users; "
            f"run `chmod 600 {path}` or use *_env keys",
            InsecureConfigWarning,
            stacklevel=3,
        )


def _did_you_mean(name: str, allowed: tuple[str, ...]) -> str:
    """` (did you mean 'timeout'?)` when a known key is close enough, else ""."""
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _p(path: Path | None) -> str | None:
    return str(path) if path else None
