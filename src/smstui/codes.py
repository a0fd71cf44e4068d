"""Every SMSC status/err code and Webcom state or error text → unified state and explanation.

Sources: ../shared/protocols/smsc.md §1.6, §3.5, §3.6 and webcom.md §1.4, §2, §6.2. Unknown
values never raise: they map to DeliveryState.UNKNOWN / ErrorClass.UNKNOWN with the raw value kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from smstui.model import DeliveryState as S
from smstui.model import ErrorClass as C


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """A provider status value and what it means for us."""

    code: int | str
    state: S
    name_en: str
    name_ru: str
    meaning: str = ""
    # The failure class a failed status implies on its own, when no `err` came with it.
    failure_class: C | None = None

    @property
    def final(self) -> bool:
        """Will the gateway report no further change for this status?"""
        return self.state.is_final


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """A provider error code (or text) explained, with what a triager should do about it."""

    code: int | str
    en: str
    ru: str
    error_class: C
    action: str = ""
    wait_hours: int | None = None  # resending sooner fails again (a hold, a daily limit)


ACTIONS = {
    C.NONE: "Nothing to do.",
    C.PERMANENT: "Do not resend: the number or content will not work; fix or drop it.",
    C.TEMPORARY: "Resend later; the subscriber or network may recover.",
    C.ACCOUNT: "Check the account: balance, limits or contract with the gateway.",
    C.CONFIGURATION: "Fix the configuration: sender name, template, text or IP allow-list.",
    C.UNKNOWN: "Look up the status again; ask the gateway's support if it persists.",
}


K = TypeVar("K", int, str)


def _st(
    code: K, state: S, en: str, ru: str, meaning: str = "", cls: C | None = None
) -> tuple[K, StatusInfo]:
    return code, StatusInfo(code, state, en, ru, meaning, cls)


def _er(
    code: K, en: str, ru: str, cls: C, action: str = "", wait_hours: int | None = None
) -> tuple[K, ErrorInfo]:
    return code, ErrorInfo(code, en, ru, cls, action or ACTIONS[cls], wait_hours)


# smsc.md §3.5 — the same table applies to HLR requests.
SMSC_STATUSES: dict[int, StatusInfo] = dict(
    [
        _st(-3, S.NOT_FOUND, "Message not found", "Сообщение не найдено",
            "No message matches this phone and id (or it was archived)."),
        _st(-2, S.STOPPED, "Stopped", "Остановлено",
            "The mailing was paused before this message left for the operator."),
        _st(-1, S.QUEUED, "Waiting send", "Ожидает отправки",
            "Held until its delivery time, or a short wait before the operator."),
        _st(0, S.SENT, "Transferred to the operator", "Передано оператору",
            "Handed to the operator's SMS centre for delivery."),
        _st(1, S.DELIVERED, "Delivered", "Доставлено", "Delivered to the subscriber."),
        _st(2, S.READ, "Read", "Прочитано", "Opened by the subscriber (HTML e-mail only)."),
        _st(3, S.EXPIRED, "Expired", "Просрочено",
            "The lifetime ran out before delivery (subscriber unreachable, memory full).",
            C.TEMPORARY),
        _st(4, S.READ, "Click on link", "Нажата ссылка",
            "Delivered, and the subscriber opened the short link."),
        _st(20, S.FAILED, "Unable to deliver", "Невозможно доставить",
            "The delivery attempt failed; see the error code for why."),
        _st(22, S.REJECTED, "Wrong number", "Неверный номер", "The phone number format is wrong.",
            C.PERMANENT),
        _st(23, S.REJECTED, "Banned", "Запрещено",
            "A restriction fired: duplicate, flood, blacklist, spam filter or sender name."),
        _st(24, S.REJECTED, "Insufficient funds", "Недостаточно средств",
            "Not enough money on the account.", C.ACCOUNT),
        _st(25, S.FAILED, "Unavailable number", "Недоступный номер",
            "The number does not take SMS, or there is no working route to its operator.",
            C.PERMANENT),
    ]
)  # fmt: skip

# smsc.md §3.6 — `err` inside a status (and callbacks).
SMSC_ERRORS: dict[int, ErrorInfo] = dict(
    [
        _er(0, "No error", "Нет ошибки", C.NONE),
        _er(1, "Subscriber does not exist", "Абонент не существует", C.PERMANENT),
        _er(2, "Mailbox full (e-mail)", "Почтовый ящик переполнен", C.TEMPORARY),
        _er(3, "Recipient mail server not found", "Сервер получателя не найден", C.PERMANENT),
        _er(4, "Mailbox blocked (e-mail)", "Почтовый ящик заблокирован", C.PERMANENT),
        _er(6, "Subscriber offline", "Абонент не в сети", C.TEMPORARY,
            "Resend later: the handset is off or out of coverage."),
        _er(11, "No SMS service", "Нет услуги SMS", C.PERMANENT,
            "Do not resend by SMS: the number cannot receive SMS (landline, service off)."),
        _er(12, "Handset error", "Ошибка в телефоне абонента", C.TEMPORARY),
        _er(13, "Subscriber blocked", "Абонент заблокирован", C.TEMPORARY,
            "Resend later: blocked by the operator or owner (often a negative balance)."),
        _er(21, "Service not supported", "Нет поддержки сервиса", C.PERMANENT),
        _er(200, "Virtual sending (test mode)", "Виртуальная отправка", C.CONFIGURATION,
            "Switch off test mode in the account; nothing was really sent."),
        _er(219, "SIM card replaced", "Замена SIM-карты", C.TEMPORARY,
            "Resend in 24 h (alphanumeric senders are held after a SIM swap).", 24),
        _er(220, "Operator queue overflow", "Переполнена очередь у оператора", C.TEMPORARY),
        _er(237, "No answer (voice call)", "Нет ответа", C.TEMPORARY),
        _er(238, "No template", "Нет шаблона", C.CONFIGURATION,
            "Register a template: only template messages are allowed for this account."),
        _er(239, "Forbidden IP address", "Запрещенный IP-адрес", C.CONFIGURATION,
            "Add this machine's IP to the account's allow-list."),
        _er(240, "Subscriber busy (voice call)", "Абонент занят", C.TEMPORARY),
        _er(241, "Conversion error", "Ошибка конвертации", C.TEMPORARY),
        _er(242, "Answering machine (voice call)", "Автоответчик", C.TEMPORARY),
        _er(243, "No contract for mass mailing", "Не заключен договор", C.ACCOUNT,
            "Sign the mailing contract with the gateway before mass or advertising sends."),
        _er(244, "Mailing forbidden", "Рассылки запрещены", C.ACCOUNT),
        _er(245, "Status not received", "Статус не получен", C.UNKNOWN,
            "The operator sent no report within 24 h; delivery is unknown."),
        _er(246, "Time restriction", "Ограничение по времени", C.CONFIGURATION,
            "Outside the account's sending hours; change them or wait."),
        _er(247, "Message limit exceeded", "Превышен лимит сообщений", C.ACCOUNT,
            "The account's daily limit was reached; raise it or wait until tomorrow."),
        _er(248, "No route", "Нет маршрута", C.PERMANENT,
            "Do not resend: no working gateway for this number."),
        _er(249, "Wrong number format", "Неверный формат номера", C.PERMANENT),
        _er(250, "Number forbidden by settings", "Номер запрещен настройками", C.CONFIGURATION),
        _er(251, "Per-number limit exceeded", "Превышен лимит на один номер", C.TEMPORARY,
            "Resend later: too many messages to this number recently."),
        _er(252, "Number forbidden", "Номер запрещен", C.PERMANENT),
        _er(253, "Spam filter", "Запрещено спам-фильтром", C.CONFIGURATION,
            "Change the text or sender: the spam filter rejected it."),
        _er(254, "Unregistered sender", "Незарегистрированный отправитель", C.CONFIGURATION,
            "Register the sender name with the gateway, or use a registered one."),
        _er(255, "Rejected by operator", "Отклонено оператором", C.UNKNOWN),
    ]
)  # fmt: skip

# smsc.md §1.6 — request-level `error_code` (the whole call was refused).
SMSC_API_ERRORS: dict[int, ErrorInfo] = dict(
    [
        _er(1, "Wrong or missing parameters", "Ошибка в параметрах", C.CONFIGURATION),
        _er(2, "Wrong login, password or API key, or IP not allowed",
            "Неверный логин или пароль", C.CONFIGURATION,
            "Check the account's credentials and IP allow-list in the config."),
        _er(3, "Not enough money (send) / not found", "Недостаточно средств", C.ACCOUNT,
            "Top up the account balance."),
        _er(4, "IP temporarily blocked", "IP-адрес временно заблокирован", C.TEMPORARY,
            "Wait for the block to expire (10–30 min); smstui pauses this account."),
        _er(5, "Wrong date format / cannot delete", "Неверный формат даты", C.CONFIGURATION),
        _er(6, "Message forbidden (text or sender)", "Сообщение запрещено", C.CONFIGURATION,
            "Change the text or sender name, or sign a mailing contract."),
        _er(7, "Wrong phone number format", "Неверный формат номера телефона", C.PERMANENT),
        _er(8, "Cannot deliver to this number", "Сообщение не может быть доставлено",
            C.PERMANENT),
        _er(9, "Too many requests", "Слишком много запросов", C.TEMPORARY,
            "Slow down: smstui backs off this request type for a minute."),
    ]
)  # fmt: skip

# webcom.md §2 — state words (whole tokens: `deliver` is inside `not_deliver`).
WEBCOM_STATES: dict[str, StatusInfo] = dict(
    [
        _st("send", S.SENT, "Sent, no report yet", "Отправлено"),
        _st("deliver", S.DELIVERED, "Delivered", "Доставлено",
            "Delivered (a Viber message may still become read)."),
        _st("read", S.READ, "Read", "Прочитано", "Read by the subscriber (Viber)."),
        _st("not_deliver", S.FAILED, "Not delivered", "Не доставлено"),
        _st("expired", S.EXPIRED, "Expired", "Просрочено",
            "The subscriber was off the network at every attempt.", C.TEMPORARY),
        # No report ever came back; Webcom calls it final ("ask support why"). EXPIRED is the
        # closest final state; the raw word stays visible.
        _st("partly_deliver", S.EXPIRED, "Partly delivered, no final report",
            "Частично доставлено, итогового отчёта нет",
            "Sent, but no final status ever came back; ask Webcom support why."),
    ]
)  # fmt: skip

# webcom.md §1.4 (E1–E5) and §6.2 (M1–M18), keyed by the Russian text the server sends.
WEBCOM_ERRORS: dict[str, ErrorInfo] = dict(
    [
        _er("Неправильный формат JSON документа", "Malformed JSON document", "", C.CONFIGURATION),
        _er("Неправильный формат XML документа", "Malformed XML document", "", C.CONFIGURATION),
        _er("Ваш аккаунт заблокирован", "Account locked", "", C.ACCOUNT),
        _er("Неправильный логин или пароль", "Wrong login or password", "", C.CONFIGURATION,
            "Check the account's login, password or token in the config."),
        _er("POST данные отсутствуют", "POST data missing", "", C.CONFIGURATION),
        _er("Базы с таким номером не существует", "No base with this number", "",
            C.CONFIGURATION),
        _er("У нас закончились SMS. Для разрешения проблемы свяжитесь с менеджером.",
            "The provider ran out of SMS stock", "", C.TEMPORARY,
            "Contact the Webcom manager; resend later."),
        _er("Закончились SMS.", "Your SMS package is used up", "", C.ACCOUNT),
        _er("Аккаунт заблокирован.", "Account blocked", "", C.ACCOUNT),
        _er("Укажите номер телефона.", "Phone number missing", "", C.CONFIGURATION),
        _er("Номер телефона присутствует в стоп-листе.", "Number is on the STOP list", "",
            C.PERMANENT),
        _er("Данное направление закрыто для вас.", "Direction closed for you", "", C.ACCOUNT),
        _er("Данное направление закрыто.", "Direction closed", "", C.PERMANENT),
        _er("Недостаточно средств для отправки SMS. SMS будет отправлена как только вы пополните "
            "счет по данному направлению.", "Not enough money; sends after a top-up", "",
            C.ACCOUNT, "Top up the account; the message goes out afterwards."),
        _er("Текст SMS отклонен модератором.", "Text rejected by a moderator", "",
            C.CONFIGURATION),
        _er("Нет отправителя.", "Sender missing", "", C.CONFIGURATION),
        _er("Отправитель не должен превышать 15 символов для цифровых номеров и 11 символов для "
            "буквенно-числовых.", "Sender too long", "", C.CONFIGURATION),
        _er("Номер телефона должен быть меньше 15 символов.", "Phone number too long", "",
            C.PERMANENT),
        _er("Нет текста сообщения.", "Message text missing", "", C.CONFIGURATION),
        _er("Нет ссылки.", "Link missing", "", C.CONFIGURATION),
        _er("Укажите название контакта и, хотя бы один параметр для визитной карточки.",
            "vCard name or field missing", "", C.CONFIGURATION),
        _er("Такого отправителя Нет.", "Unknown sender", "", C.CONFIGURATION),
        _er("Отправитель не прошел модерацию.", "Sender not approved", "", C.CONFIGURATION),
        _er("Данное сообщение уже было отправлено.", "Duplicate message", "", C.PERMANENT,
            "Already sent: resend with a new client id only if a second copy is wanted."),
        _er("error: Попытка отправки более одного одинакового запроса в течение минуты",
            "Identical request repeated within a minute", "", C.TEMPORARY),
    ]
)  # fmt: skip
# The Russian text *is* the key; fill the ru field from it so both languages read the same.
WEBCOM_ERRORS = {
    k: ErrorInfo(v.code, v.en, k, v.error_class, v.action, v.wait_hours)
    for k, v in WEBCOM_ERRORS.items()
}
# Webcom names a refused recipient by text only; a message keeps its catalogue number M1–M18
# (webcom.md §6.2) as its error code, so the reason survives in the cache and the err column.
_M_FIRST = "У нас закончились SMS. Для разрешения проблемы свяжитесь с менеджером."
_M_TEXTS = tuple(WEBCOM_ERRORS)[tuple(WEBCOM_ERRORS).index(_M_FIRST) :][:18]
WEBCOM_SEND_ERRORS: dict[int, ErrorInfo] = {
    n: ErrorInfo(n, WEBCOM_ERRORS[t].en, t, WEBCOM_ERRORS[t].error_class,
                 WEBCOM_ERRORS[t].action, WEBCOM_ERRORS[t].wait_hours)
    for n, t in enumerate(_M_TEXTS, start=1)
}  # fmt: skip
_M_BY_TEXT = {t.rstrip("."): n for n, t in enumerate(_M_TEXTS, start=1)}
# A status with no provider value: smstui's own record of a send the gateway took (no report yet).
NO_STATUS = StatusInfo(
    "", S.UNKNOWN, "No gateway status yet", "Статуса от шлюза ещё нет",
    "The gateway has reported no status for this message yet.",
)  # fmt: skip


def _int(value: object) -> int | None:
    """Lenient int: 5, "5", " -3 " → int; anything else → None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def smsc_status(code: object) -> StatusInfo:
    """The SMSC status code explained; unknown codes map to UNKNOWN with the raw value kept."""
    number = _int(code)
    if number is not None and number in SMSC_STATUSES:
        return SMSC_STATUSES[number]
    raw = number if number is not None else str(code)
    return StatusInfo(raw, S.UNKNOWN, f"Unknown status {raw}", f"Неизвестный статус {raw}")


def smsc_error(err: object) -> ErrorInfo:
    """The SMSC `err` code inside a status, explained."""
    return _lookup(SMSC_ERRORS, err, "error code")


def smsc_api_error(code: object) -> ErrorInfo:
    """The SMSC request-level `error_code`, explained."""
    return _lookup(SMSC_API_ERRORS, code, "API error")


def _lookup(table: dict[int, ErrorInfo], code: object, what: str) -> ErrorInfo:
    number = _int(code)
    if number is not None and number in table:
        return table[number]
    raw = number if number is not None else str(code)
    return ErrorInfo(raw, f"Unknown {what} {raw}", f"Неизвестный код {raw}", C.UNKNOWN,
                     ACTIONS[C.UNKNOWN])  # fmt: skip


def webcom_state(word: object) -> StatusInfo:
    """The Webcom state word explained (matched as a whole token, case-insensitive)."""
    key = str(word or "").strip().lower()
    if key in WEBCOM_STATES:
        return WEBCOM_STATES[key]
    return StatusInfo(key, S.UNKNOWN, f"Unknown state {key!r}", f"Неизвестный статус {key!r}")


def webcom_send_error_code(text: object) -> int | None:
    """The catalogue number (M1–M18, webcom.md §6.2) of a per-recipient send error text."""
    return _M_BY_TEXT.get(str(text or "").strip().rstrip("."))


def webcom_send_error(code: object) -> ErrorInfo:
    """A Webcom send error by its catalogue number, explained."""
    return _lookup(WEBCOM_SEND_ERRORS, code, "Webcom send error")


def webcom_error(text: object) -> ErrorInfo:
    """A Webcom error text explained; tolerant of surrounding spaces and a missing final dot."""
    key = str(text or "").strip()
    info = (
        WEBCOM_ERRORS.get(key) or WEBCOM_ERRORS.get(key + ".") or WEBCOM_ERRORS.get(key.rstrip("."))
    )
    if info:
        return info
    return ErrorInfo(key, f"Gateway error: {key}", key, C.UNKNOWN, ACTIONS[C.UNKNOWN])


# smstui's own raw statuses for its sends, before or instead of any gateway status.
NO_REPLY, NOT_SENT, REFUSED = "no reply", "not sent", "refused"
SEND_OUTCOMES = {
    NO_REPLY: StatusInfo(
        NO_REPLY, S.OUTCOME_UNKNOWN, "Outcome unknown", "Исход неизвестен",
        "The request left but its reply never came (lost, cut off or interrupted): the SMS may "
        "have gone out and been charged. smstui asks its status; do not resend before.",
    ),
    NOT_SENT: StatusInfo(
        NOT_SENT, S.REJECTED, "Not sent", "Не отправлено",
        "The connection was refused: nothing reached the gateway, nothing was charged.",
        C.TEMPORARY,
    ),
    REFUSED: StatusInfo(
        REFUSED, S.REJECTED, "Refused by the gateway", "Отклонено шлюзом",
        "The gateway refused the send (the error says why): nothing was sent or charged.",
    ),
}  # fmt: skip


def explain(
    provider: str, raw_status: object, error_code: object = None
) -> tuple[StatusInfo, ErrorInfo | None]:
    """Status and error explanation for a message of either provider."""
    own = SEND_OUTCOMES.get(raw_status) if isinstance(raw_status, str) else None
    if own is not None:  # a refused send's code is the request's error, not a delivery error
        code = _int(error_code)
        if not code:
            return own, None
        return own, (smsc_api_error(code) if provider == "smsc" else webcom_send_error(code))
    err = _int(error_code)
    if raw_status is None or raw_status == "":
        return NO_STATUS, (smsc_error(err) if provider == "smsc" and err else None)
    if provider == "webcom":  # Webcom's statuses carry no error code (webcom.md §2, §3.2, §3.3)
        return webcom_state(raw_status), None
    return smsc_status(raw_status), (smsc_error(err) if err else None)
