"""The emulator's numbering plan: operators, regions, prices, and Moscow-time formatting."""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from smstui.moscow import MSK, format_moscow


@dataclass(frozen=True)
class Operator:
    """One mobile operator of the plan."""

    name: str  # as SMSC reports it
    name_en: str
    mnc: str
    codes: tuple[str, ...]  # DEF codes the campaign draws its numbers from
    price: Decimal  # per SMS part
    delay: tuple[float, float]  # typical seconds from hand-over to the delivery report
    ranges: tuple[tuple[int, int], ...] = ()  # every DEF code (after the 7) it answers for


OPERATORS = (
    Operator("МТС", "MTS", "01", ("910", "915", "916", "985"), Decimal("2.10"), (2.0, 40.0),
             ((910, 919), (978, 978), (980, 989))),
    Operator("МегаФон", "MegaFon", "02", ("925", "926", "929"), Decimal("1.95"), (3.0, 90.0),
             ((920, 949), (997, 997), (999, 999))),
    Operator("Билайн", "Beeline", "99", ("903", "905", "962"), Decimal("2.25"), (5.0, 150.0),
             ((903, 903), (905, 906), (909, 909), (960, 969))),
    Operator("Tele2", "Tele2", "20", ("900", "952", "977"), Decimal("1.80"), (4.0, 240.0),
             ((900, 902), (904, 904), (907, 908), (950, 959), (970, 977), (979, 979),
              (990, 996), (998, 998))),
)  # fmt: skip
REGIONS = (
    ("г. Москва и Московская область", "3"),
    ("г. Санкт-Петербург и Ленинградская область", "3"),
    ("Новосибирская область", "7"),
    ("Свердловская область", "5"),
    ("Республика Татарстан", "3"),
)
HLR_PRICE = Decimal("0.35")
# The whole Russian mobile plan (7 9xx …) routes: each DEF code goes to the operator that holds
# most of that range, roughly as the regulator's allocation has it, so `79999999999` from the
# vendor's examples is a MegaFon number, not an unroutable one.
_BY_CODE = {str(code): op for op in OPERATORS for lo, hi in op.ranges for code in range(lo, hi + 1)}


@dataclass(frozen=True)
class NumberPlan:
    """What the plan says about one phone number."""

    phone: str
    operator: Operator
    region: str
    tz: str

    @property
    def mccmnc(self) -> str:
        """MCC + MNC digits, e.g. 25001."""
        return "250" + self.operator.mnc


def normalize_phone(raw: str) -> str | None:
    """Digits of a Russian mobile-looking number in 7XXXXXXXXXX form, or None if malformed."""
    digits = raw.strip().lstrip("+").replace(" ", "").replace("-", "")
    if not digits.isdigit():
        return None
    if len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    if len(digits) == 10 and digits[0] == "9":
        digits = "7" + digits
    return digits if 10 <= len(digits) <= 15 else None


def lookup(phone: str) -> NumberPlan | None:
    """Operator and region of a Russian mobile number; None outside the plan."""
    if len(phone) != 11 or not phone.startswith("7"):
        return None
    op = _BY_CODE.get(phone[1:4])
    if op is None:
        return None
    # The region is a stable function of the number, so repeated lookups agree.
    region, tz = REGIONS[zlib.crc32(phone.encode()) % len(REGIONS)]
    return NumberPlan(phone, op, region, tz)


def is_mobile(phone: str) -> bool:
    """True for numbers SMS can be routed to (Russian 79XX… inside the plan)."""
    return lookup(phone) is not None


def msk_date(ts: float) -> str:
    """SMSC date form DD.MM.YYYY hh:mm:ss in Moscow time."""
    return format_moscow(int(ts), "%d.%m.%Y %H:%M:%S")


def msk_iso(ts: float) -> str:
    """Webcom date form YYYY-MM-DD HH:MM:SS in Moscow time."""
    return format_moscow(int(ts), "%Y-%m-%d %H:%M:%S")


def parse_msk_day(text: str) -> float:
    """dd.mm.yyyy (Moscow midnight) → Unix seconds; ValueError when malformed."""
    return datetime.strptime(text.strip(), "%d.%m.%Y").replace(tzinfo=MSK).timestamp()


def parse_msk_iso(text: str) -> float:
    """YYYY-MM-DD HH:MM[:SS] in Moscow time → Unix seconds; ValueError when malformed."""
    text = text.strip()
    fmt = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
    return datetime.strptime(text, fmt).replace(tzinfo=MSK).timestamp()


def archive_time(sent: float, final: float | None) -> float | None:
    """When the 03:00 MSK job archives a message (final, sent before 18:00 the day before)."""
    if final is None:
        return None
    local = datetime.fromtimestamp(sent, MSK)
    day = local.replace(hour=3, minute=0, second=0, microsecond=0)
    first = day + timedelta(days=1 if local.hour < 18 else 2)
    when = first
    final_local = datetime.fromtimestamp(final, MSK)
    while when < final_local:
        when += timedelta(days=1)
    return when.astimezone(UTC).timestamp()


GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXT = set("^{}\\[~]|€")


@functools.lru_cache(maxsize=4096)  # campaign texts repeat: count each once
def count_parts(text: str) -> int:
    """SMS parts: 160/153 GSM-7 characters or 70/67 UCS-2 characters (one at least)."""
    if all(c in GSM7 or c in GSM7_EXT for c in text):
        units = sum(2 if c in GSM7_EXT else 1 for c in text)
        return 1 if units <= 160 else -(-units // 153)
    units = len(text)
    return 1 if units <= 70 else -(-units // 67)
