"""smstui's local cache: a TinyDB file with one writer, an in-memory index and atomic flushes."""

from smstui.store.core import FlushResult, Store
from smstui.store.index import SortedView
from smstui.store.schema import SCHEMA_VERSION, AppliedChange, StoreEvent

__all__ = ["SCHEMA_VERSION", "AppliedChange", "FlushResult", "SortedView", "Store", "StoreEvent"]
