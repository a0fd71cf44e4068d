"""SMSC /sys/*.php and /rest/send/: auth → IP block → limits → parameters → business (§9)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from smstui.emulator import limits as L
from smstui.emulator.core import Emulator
from smstui.emulator.faults import FAULTS
from smstui.emulator.smsc_wire import BAD_BODY, error_reply, flag, fmt_of, smsc_params

AUTH_KEYS = frozenset({"login", "psw", "apikey"})


@dataclass
class Call:
    """One parsed SMSC request, as the endpoint handlers see it."""

    emu: Emulator
    params: dict[str, str]
    login: str
    now: float
    fmt: int
    charset: str
    endpoint: str
    error_code: int | None = None  # the API error this request was answered with, if any

    def error(
        self, code: int, msg_id: object = None, *, limit: bool = False, text: str | None = None
    ) -> web.Response:
        """Count and build an error reply in this request's fmt and charset."""
        self.emu.stats_counters.error(f"smsc.{code}", limit=limit)
        self.error_code = code
        return error_reply(code, self.fmt, self.charset, msg_id, text)

    def identity(self) -> str:
        """The request minus credentials, sorted: what "identical request" means (§12.16)."""
        items = sorted((k, v) for k, v in self.params.items() if k not in AUTH_KEYS)
        return self.login + "|" + "&".join(f"{k}={v}" for k, v in items)


Handler = Callable[[Call], web.Response]


def endpoint_of(script: str, params: dict[str, str]) -> str:
    """The stats name of a request, e.g. smsc.status_mass."""
    if script in ("send", "rest"):
        return "smsc.send"
    if script == "status":
        mass = "," in params.get("id", "") or "," in params.get("phone", "")
        return "smsc.status_mass" if mass else "smsc.status"
    if script == "get":
        for key, name in (("get_messages", "history"), ("get_answers", "answers")):
            if key in params:
                return f"smsc.{name}"
        return "smsc.stat" if "get_stat" in params else "smsc.get"
    if script == "info":
        return "smsc.operator" if "get_operator" in params else "smsc.info"
    return f"smsc.{script}"


def limit_checks(call: Call) -> list[tuple[L.Rule, str]]:
    """Which sliding windows this request must fit in."""
    p, login, ep, opts = call.params, call.login, call.endpoint, call.emu.opts
    if ep == "smsc.status":
        return [(L.STATUS_SAME, f"{login}|{p.get('id', '').strip()}|{p.get('phone', '').strip()}")]
    if ep == "smsc.status_mass":
        return [(L.STATUS_MASS, login)]
    if ep == "smsc.balance":
        return [(L.BALANCE, login)]
    if ep == "smsc.history":
        hour_key = call.identity() if opts.history_hour_rule_identical else login
        return [(L.HISTORY_SAME, call.identity()), (L.HISTORY_HOUR, hour_key)]
    if ep == "smsc.answers" and opts.incoming_limit:
        return [(L.ANSWERS_SAME, call.identity())]
    if ep == "smsc.operator":
        return [(L.OPERATOR_SAME, call.identity()), (L.OPERATOR_ANY, login)]
    if ep == "smsc.send":
        return [(L.COST_SAME if p.get("cost", "").strip() == "1" else L.SEND_SAME, call.identity())]
    return []


def authenticate(emu: Emulator, params: dict[str, str]) -> str | None:
    """The login the request proves, or None (error 2)."""
    apikey = params.get("apikey", "")
    if apikey:
        return emu.apikeys.get(apikey)
    login = params.get("login", "")
    return login if emu.check_password(login, params.get("psw", "")) else None


async def serve(emu: Emulator, request: web.Request, script: str, handler: Handler) -> web.Response:
    """Run one SMSC request through the documented order of checks."""
    params, charset = await smsc_params(request)  # decoded (and counted) by the middleware
    endpoint = endpoint_of(script, params)
    call = Call(
        emu, params, "", emu.now(), fmt_of(params, 3 if script == "rest" else 0), charset, endpoint
    )
    ip = request.remote or "?"
    login = authenticate(emu, params)
    if login is None:
        emu.auth_guard.fail(ip, call.now)
        return call.error(2)
    call.login = login
    if emu.auth_guard.blocked(ip, call.now):
        return call.error(4, limit=True)  # an IP block is a limit the client ran into
    is_status = script == "status"
    if not emu.concurrency.enter(login, is_status):
        return call.error(9, limit=True)
    try:
        await request.app[FAULTS].slow(request)
        call.now = emu.now()
        if emu.limiter.allows(limit_checks(call), call.now) is not None:
            return call.error(9, limit=True)
        response = call.error(1) if BAD_BODY in params else handler(call)
        if endpoint == "smsc.send":
            emu.send_guard.outcome(ip, call.now, call.error_code)
        return response
    finally:
        emu.concurrency.leave(login, is_status)


def is_flag(call: Call, name: str) -> bool:
    """Option flags (op, err, hlr, cur, del…) are on unless absent or 0."""
    return flag(call.params, name)
