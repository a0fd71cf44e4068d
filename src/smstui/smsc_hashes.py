"""SMSC control-hash names: those smstui knows and those it accepts by default (one place)."""

from __future__ import annotations

ALGORITHMS = ("md5", "sha1", "crc32")
# Accepted unless the config asks for more: crc32 is 32 bits and linear, so a forger can search
# it online (or derive it from one captured push); only a handler URL with ?crc32= needs it.
DEFAULT_ALGORITHMS = ("md5", "sha1")
