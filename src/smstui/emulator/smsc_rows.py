"""Shared SMSC reply helpers: bounded integer parameters, rows rendered per fmt 0–3."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aiohttp import web

from smstui.emulator.smsc import Call
from smstui.emulator.smsc_wire import reply, xml_fields


def int_param(raw: str | None, default: int, lo: int, hi: int) -> int | None:
    """An integer parameter inside [lo, hi], the default when absent, None when bad."""
    if raw is None or not raw.strip():
        return default
    raw = raw.strip()
    if not raw.lstrip("-").isdigit() or not lo <= int(raw) <= hi:
        return None
    return int(raw)


def render(
    call: Call, rows: Sequence[Mapping[str, object]], single: bool, tag: str = "sms"
) -> web.Response:
    """Object (single) or list in fmt 3; tagged XML; `k = v` or comma lines otherwise."""
    if call.fmt == 3:
        return reply(rows[0] if single else rows, 3, call.charset)
    if call.fmt == 2:
        inner = "".join(xml_fields(tag, r) for r in rows)
        return reply(inner if single else f"<result>{inner}</result>", 2, call.charset)
    if call.fmt == 1:
        return reply("\n".join(",".join(str(v) for v in r.values()) for r in rows), 1, call.charset)
    lines = [", ".join(f"{k} = {v}" for k, v in r.items()) for r in rows]
    return reply("\n".join(lines), 0, call.charset)
