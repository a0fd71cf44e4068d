"""One exception tree for everything smstui raises on purpose."""

from __future__ import annotations

from smstui.model import ErrorClass, Message, client_id_of


class SmstuiError(Exception):
    """Root of every error smstui raises deliberately."""


class ConfigError(SmstuiError):
    """The configuration file or an option is wrong; the message names file, key and problem."""

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        self.path = path
        self.key = key
        where = ": ".join(p for p in (path, key) if p)
        super().__init__(f"{where}: {message}" if where else message)


class UsageError(SmstuiError):
    """The command was asked for something it will not do as given (add --yes, --force, …)."""


class NotFound(SmstuiError):
    """The gateway (or the cache) does not know the message asked for."""

    def __init__(self, message: str, *, provider: str = "") -> None:
        self.provider = provider
        super().__init__(message)


class GatewayError(SmstuiError):
    """Anything that went wrong talking to a gateway.

    `retry_after`: seconds the gateway asked us to wait (HTTP 429/503 `Retry-After`), if it did.
    """

    retry_after: float | None = None

    def __init__(self, message: str, *, provider: str = "", account: str = "") -> None:
        self.provider = provider
        self.account = account
        super().__init__(message)


class TransportError(GatewayError):
    """The request did not get an HTTP answer (connection refused, reset, TLS)."""


class NotSent(TransportError):
    """The connection was refused: the request never left this machine, so it cost nothing."""


class GatewayTimeout(TransportError):
    """The gateway did not answer in time."""


class BadPayload(GatewayError):
    """The gateway answered, but not with something we can read (HTML, truncated, bad types)."""


class ApiError(GatewayError):
    """The gateway understood the request and refused it with its own code."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        account: str = "",
        code: int | None = None,
        text: str = "",
        explanation: str = "",
        error_class: ErrorClass = ErrorClass.UNKNOWN,
    ) -> None:
        self.code = code
        self.text = text
        self.explanation = explanation
        self.error_class = error_class  # from the code tables: what to do about it
        super().__init__(message, provider=provider, account=account)


class AuthError(ApiError):
    """Wrong login, password, API key or token (SMSC error 2, Webcom E3)."""


class RateLimited(ApiError):
    """Too many requests (SMSC error 9): our budget model was wrong; back off."""


class IpBlocked(ApiError):
    """The gateway blocked our IP (SMSC error 4), usually for 10–30 minutes."""


class StoreError(SmstuiError):
    """The local cache could not be read or written."""


class OutcomeUnknown(SmstuiError):
    """A send's request left but no usable reply came: it may have gone out and been charged."""

    def __init__(self, message: Message, why: str) -> None:
        self.message = message
        client_id = client_id_of(message)
        super().__init__(
            f"the outcome of the send to {message.phone} is unknown ({why}): it may have gone "
            f"out and been charged. It is in the cache as {message.message_id} (client id "
            f"{client_id}), state outcome unknown; smstui asks its status and settles it. Do "
            f"not send it again before then."
        )
