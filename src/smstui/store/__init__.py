"""smstui's local cache: a TinyDB file with one writer, an in-memory index and atomic flushes."""

from smstui.store.core import FlushResult, Store
from smstui.store.schema import SCHEMA_VERSION, AppliedChange, StoreEvent
from smstui.store.view import SortedView

__all__ = ["SCHEMA_VERSION", "AppliedChange", "FlushResult", "SortedView", "Store", "StoreEvent"]
