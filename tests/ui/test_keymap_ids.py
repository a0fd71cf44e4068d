"""config.KEYMAP_IDS (what [ui] keymap accepts) is exactly the dashboard's binding ids."""

import importlib
import inspect
import pkgutil

from textual.binding import Binding

import smstui.ui
from smstui.config import KEYMAP_IDS


def _binding_ids() -> set[str]:
    ids: set[str] = set()
    for info in pkgutil.walk_packages(smstui.ui.__path__, f"{smstui.ui.__name__}."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            for binding in vars(cls).get("BINDINGS", ()):
                if isinstance(binding, Binding) and binding.id:
                    ids.add(binding.id)
    return ids


def test_keymap_ids_are_the_ui_binding_ids():
    assert len(set(KEYMAP_IDS)) == len(KEYMAP_IDS)
    assert set(KEYMAP_IDS) == _binding_ids()
