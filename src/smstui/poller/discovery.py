"""Finding messages through the SMSC history call, newest first, with gaps paged back later."""

from __future__ import annotations

from dataclasses import dataclass

from smstui.gateways.base import Gateway, HistoryPage
from smstui.model import Message
from smstui.store import Store

PAGE = 1000  # the documented maximum `cnt` (smsc.md §6.1)
MIN_PAGE = 50


@dataclass
class DiscoveryResult:
    """What one history request found."""

    page: HistoryPage
    new: int
    requests: int = 1


class HistoryDiscovery:
    """Keeps the store's view of an account's history complete within the request budget.

    The newest page is fetched on every turn; when it shares no message with the store, the
    messages between it and what we knew are a *gap*, remembered as a `prev_id` cursor (persisted
    in the store) and paged back on later turns. Known messages stop the paging, so a restart
    re-reads only the newest page.
    """

    def __init__(self, gateway: Gateway, store: Store, account: str, *, since: float) -> None:
        self.gateway = gateway
        self.store = store
        self.account = account
        self.since = since
        self._cursor_name = f"history_gaps:{account}"
        # The newest page only needs to reach back to what we already know: size it by how
        # many new messages the last one found, so a quiet campaign costs a tiny reply.
        self.newest_page = PAGE

    @property
    def gaps(self) -> list[str]:
        """prev_id cursors still to page back from (persisted)."""
        return list(self.store.get_cursor(self._cursor_name, []) or [])

    def _set_gaps(self, gaps: list[str]) -> None:
        if gaps != self.gaps:
            self.store.set_cursor(self._cursor_name, gaps)

    def next_before(self, *, newest_due: bool) -> str | None:
        """Which page to ask for: None = the newest page, else a gap cursor."""
        gaps = self.gaps
        if newest_due or not gaps:
            return None
        return gaps[-1]

    async def turn(self, before: str | None) -> tuple[list[Message], DiscoveryResult]:
        """Fetch one page; returns its messages (to apply) and what it taught us about gaps."""
        limit = PAGE if before is not None else self.newest_page
        page = await self.gateway.history(limit=limit, before=before, since=self.since)
        known = sum(1 for m in page.messages if self.store.get(m.key) is not None)
        if before is None:
            new = len(page.messages) - known
            self.newest_page = PAGE if known == 0 else max(MIN_PAGE, min(PAGE, 2 * new + MIN_PAGE))
        gaps = self.gaps
        if before is not None and before in gaps:
            gaps.remove(before)
        if page.messages and known == 0 and page.next_before:
            gaps.append(page.next_before)  # nothing overlapped: older unknown messages remain
        self._set_gaps(gaps)
        return page.messages, DiscoveryResult(page, new=len(page.messages) - known)
