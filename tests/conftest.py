"""Fixtures for every test: the process-wide display zone starts each test unset (local)."""

from __future__ import annotations

import pytest

from smstui.display import use_zone


@pytest.fixture(autouse=True)
def _display_zone_is_per_test():
    """make_app and the CLI set the display zone for the process: never leak it to a next test."""
    use_zone(None)
    yield
    use_zone(None)
