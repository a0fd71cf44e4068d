"""What the seeded campaign is made of: senders, texts, our numbers, id ranges, inbound SMS."""

from __future__ import annotations

import random
from dataclasses import dataclass

from smstui.emulator import numbering

SENDERS = ("MyShop", "Taxi24", "BankAlert", "Promo")
TEXTS = (
    "Ваш код подтверждения: {code}",
    "Your code: {code}",
    "Заказ №{code} собран и ждёт вас в пункте выдачи до пятницы. Спасибо, что выбираете нас!",
    "Только до воскресенья: скидка 20% на всё! Покажите это сообщение на кассе или введите "
    "промокод ОСЕНЬ{code} в приложении. Отписаться: ответьте STOP.",
    "Dear customer, your order {code} has been shipped and will arrive within 2-3 business "
    "days. Track it in the app or on our website. Reply STOP to unsubscribe from these updates.",
    "Такси будет через 5 минут: белый Kia Rio, номер А{code}.",
)
INBOUND_TEXTS = ("STOP", "Спасибо!", "Да", "Когда доставка?", "Нет", "1", "Отписаться")
OUR_NUMBERS = ("79000000000", "79001112233")
ID_BASE, INT_ID_BASE, WEBCOM_ID_BASE, INBOUND_ID_BASE = (
    10_000,
    5_566_000_000,
    1_179_038_000,
    777_000,
)
SMSC_VALID = (3600.0, 3 * 3600.0, 24 * 3600.0)
WEBCOM_VALID = 6 * 3600.0


@dataclass(frozen=True)
class Inbound:
    """A subscriber's SMS to one of our numbers."""

    provider: str
    id: int
    login: str
    phone: str
    text: str
    to_phone: str
    sent: float
    received: float


def random_phone(rng: random.Random) -> str:
    """A mobile number inside the plan, or (2 %) a landline the plan cannot route."""
    if rng.random() < 0.02:
        return "7495" + f"{rng.randrange(10**7):07d}"
    op = numbering.OPERATORS[rng.randrange(len(numbering.OPERATORS))]
    return "7" + op.codes[rng.randrange(len(op.codes))] + f"{rng.randrange(10**7):07d}"
