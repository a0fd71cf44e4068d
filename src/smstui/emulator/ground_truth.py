"""Ground truth views of the campaign for /_emulator/truth and /_emulator/stats."""

from __future__ import annotations

from typing import TYPE_CHECKING, NotRequired, TypedDict

from smstui.emulator.paths import SMSC_FINAL, WEBCOM_FINAL

if TYPE_CHECKING:
    from smstui.emulator.campaign import Campaign


class TruthRow(TypedDict):
    """One message's ground truth as /_emulator/truth serves it (SMSC rows carry more)."""

    provider: str
    login: str
    id: int | str
    phone: str
    status: int | str  # SMSC status code or Webcom state word
    err: int
    final: bool
    changed_at: float
    sent_at: float
    sender: str
    parts: int
    int_id: NotRequired[int]
    cost: NotRequired[str]
    via_api: NotRequired[bool]
    deleted: NotRequired[bool]


def truth_rows(campaign: Campaign, now: float) -> list[TruthRow]:
    """Ground truth at `now`: one dict per message of both gateways."""
    rows: list[TruthRow] = []
    for m in campaign.smsc:
        if m.sent > now:
            continue
        changed, status, err = m.at(now)
        rows.append(
            {
                "provider": "smsc",
                "login": m.login,
                "id": m.id_value,
                "phone": m.phone,
                "status": status,
                "err": err,
                "final": status in SMSC_FINAL,
                "changed_at": changed,
                "int_id": m.int_id,
                "sent_at": m.sent,
                "sender": m.sender,
                "parts": m.parts,
                "cost": str(m.cost),
                "via_api": m.via_api,
                "deleted": m.deleted_at is not None,
            }
        )
    for w in campaign.webcom:
        if w.sent > now:
            continue
        changed, state = w.at(now)
        rows.append(
            {
                "provider": "webcom",
                "login": w.login,
                "id": w.id_sms,
                "phone": w.phone,
                "status": state,
                "err": 0,
                "final": state in WEBCOM_FINAL,
                "changed_at": changed,
                "sent_at": w.sent,
                "sender": w.sender,
                "parts": w.parts,
            }
        )
    return rows


def state_counts(campaign: Campaign, now: float) -> dict[str, dict[str, int]]:
    """Message counts by provider and raw state at `now`."""
    out: dict[str, dict[str, int]] = {"smsc": {}, "webcom": {}}
    for m in campaign.smsc:
        if m.sent <= now:
            key = str(m.at(now)[1])
            out["smsc"][key] = out["smsc"].get(key, 0) + 1
    for w in campaign.webcom:
        if w.sent <= now:
            key = w.at(now)[1]
            out["webcom"][key] = out["webcom"].get(key, 0) + 1
    return out
