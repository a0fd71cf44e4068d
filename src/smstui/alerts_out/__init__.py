"""Alerts out: every alert the monitor raises goes to the [alerts] notify URLs through apprise.

conditions.py says when an alert's condition is over, outbox.py decides what goes out when
(once per condition, a minimum interval, a resolved message), delivery.py sends it off the event
loop, service.py wires them to a running engine (`smstui poll`, the cache's writer).
"""

from smstui.alerts_out.conditions import Clearing, ClearingMonitor
from smstui.alerts_out.delivery import Delivery, Notifier
from smstui.alerts_out.outbox import Notice, Outbox
from smstui.alerts_out.service import check_notifiers, send_alerts

__all__ = [
    "Clearing",
    "ClearingMonitor",
    "Delivery",
    "Notice",
    "Notifier",
    "Outbox",
    "check_notifiers",
    "send_alerts",
]
