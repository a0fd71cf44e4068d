"""How the receiver runs: binding, secrets, limits, and which accounts pushes may name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from smstui.config import Config
from smstui.errors import ConfigError
from smstui.model import Provider
from smstui.secrets import Secret
from smstui.webhook.signature import ALGORITHMS, DEFAULT_ALGORITHMS


@dataclass(frozen=True)
class ReceiverOptions:
    """Every knob of the webhook receiver; defaults are the safe ones (loopback, signed only)."""

    host: str = "127.0.0.1"
    port: int = 0
    smsc_secret: Secret | None = None  # the secret in SMSC's handler URL (?md5=<secret>)
    path_secret: Secret | None = None  # extra first path segment, e.g. behind a reverse proxy
    max_body: int = 1_000_000  # bytes; larger bodies get 413
    accounts: Mapping[str, Provider] = field(default_factory=dict)  # account name → provider
    allow_unsigned: bool = False  # accept SMSC pushes when no smsc_secret is configured
    body_timeout_s: float = 10.0  # deadline for receiving a whole body (slow clients → 408)
    header_timeout_s: float = 10.0  # deadline for request line + headers (drippers are cut off)
    # Which control parameters count ([webhook] smsc_hashes). crc32 is linear, so one captured
    # push lets an attacker forge others; it counts only when the handler URL uses it.
    smsc_algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS
    max_future_s: float = 300.0  # push times further ahead of receipt are clamped to receipt
    dedup_capacity: int = 200_000  # remembered push identities for counting/skipping retries

    def __post_init__(self) -> None:
        unknown = [a for a in self.smsc_algorithms if a not in ALGORITHMS]
        if unknown or not self.smsc_algorithms:
            raise ConfigError(f"smsc_algorithms must be a subset of {ALGORITHMS}, got {unknown}")
        if min(self.max_body, self.body_timeout_s, self.header_timeout_s) <= 0:
            raise ConfigError("max_body, body_timeout_s and header_timeout_s must be positive")
        if not self.max_future_s >= 0:
            raise ConfigError("max_future_s must be zero or more")
        if self.path_secret is not None and "/" in self.path_secret.reveal():
            raise ConfigError("path_secret must be a single path segment (no '/')")

    def default_account(self, provider: Provider) -> str | None:
        """The only configured account of this provider, else None (the path must name one)."""
        names = [name for name, p in self.accounts.items() if p is provider]
        return names[0] if len(names) == 1 else None


def parse_listen(value: str) -> tuple[str, int]:
    """`HOST:PORT` (`[::1]:8080` for IPv6) → (host, port); ConfigError when malformed."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"listen address must be HOST:PORT, got {value!r}", key="webhook.listen")
    return host, int(port)


def options_from_config(
    config: Config, listen: str | None = None, **overrides: Any
) -> ReceiverOptions:
    """Receiver options from the [webhook] table and the accounts; `listen` overrides the file."""
    settings = config.webhook
    address = listen or settings.listen or "127.0.0.1:0"
    host, port = parse_listen(address)
    values = {
        "smsc_secret": settings.smsc_secret,
        "path_secret": settings.path_secret,
        "smsc_algorithms": settings.smsc_hashes,
        "header_timeout_s": settings.header_timeout_s,
        "body_timeout_s": settings.body_timeout_s,
        "max_future_s": settings.max_future_s,
        "accounts": {a.name: a.provider for a in config.accounts},
    }
    return ReceiverOptions(host=host, port=port, **{**values, **overrides})
