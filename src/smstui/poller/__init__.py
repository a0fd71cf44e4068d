"""The background poller: decides what to ask each gateway and when, inside its limits."""

from smstui.poller.account import AccountPoller, CycleReport
from smstui.poller.engine import Engine

__all__ = ["AccountPoller", "CycleReport", "Engine"]
