"""smstui's local cache: a durable journal, TinyDB day partitions, a manifest (schema 3)."""

from smstui.model import AppliedChange
from smstui.store.core import Store, StoreHealth
from smstui.store.index import SortedView
from smstui.store.schema import SCHEMA_VERSION, StoreEvent

__all__ = ["SCHEMA_VERSION", "AppliedChange", "SortedView", "Store", "StoreEvent", "StoreHealth"]
