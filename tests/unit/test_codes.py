"""Every code the protocol docs list maps to a state, and every error to an explanation + class."""

import pytest

from smstui.codes import (
    SMSC_ERRORS,
    WEBCOM_ERRORS,
    explain,
    smsc_api_error,
    smsc_error,
    smsc_status,
    webcom_error,
    webcom_state,
)
from smstui.model import DeliveryState, ErrorClass

# smsc.md §3.5, §3.6, §1.6 and webcom.md §2, §1.4, §6.2, copied here on purpose: if a table in
# codes.py loses a row, this list still names it.
SMSC_STATUS_CODES = [-3, -2, -1, 0, 1, 2, 3, 4, 20, 22, 23, 24, 25]
SMSC_ERR_CODES = [0, 1, 2, 3, 4, 6, 11, 12, 13, 21, 200, 219, 220, 237, 238, 239, 240, 241, 242,
                  243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255]  # fmt: skip
SMSC_API_CODES = list(range(1, 10))
WEBCOM_STATES = ["send", "deliver", "read", "not_deliver", "expired", "partly_deliver"]
WEBCOM_TEXTS = [
    "Неправильный формат JSON документа",
    "Неправильный формат XML документа",
    "Ваш аккаунт заблокирован",
    "Неправильный логин или пароль",
    "POST данные отсутствуют",
    "Базы с таким номером не существует",
    "У нас закончились SMS. Для разрешения проблемы свяжитесь с менеджером.",
    "Закончились SMS.",
    "Аккаунт заблокирован.",
    "Укажите номер телефона.",
    "Номер телефона присутствует в стоп-листе.",
    "Данное направление закрыто для вас.",
    "Данное направление закрыто.",
    "Недостаточно средств для отправки SMS. SMS будет отправлена как только вы пополните счет "
    "по данному направлению.",
    "Текст SMS отклонен модератором.",
    "Нет отправителя.",
    "Отправитель не должен превышать 15 символов для цифровых номеров и 11 символов для "
    "буквенно-числовых.",
    "Номер телефона должен быть меньше 15 символов.",
    "Нет текста сообщения.",
    "Нет ссылки.",
    "Укажите название контакта и, хотя бы один параметр для визитной карточки.",
    "Такого отправителя Нет.",
    "Отправитель не прошел модерацию.",
    "Данное сообщение уже было отправлено.",
]


@pytest.mark.parametrize("code", SMSC_STATUS_CODES)
def test_every_smsc_status_maps_to_a_known_state(code):
    info = smsc_status(code)
    assert info.state is not DeliveryState.UNKNOWN
    assert info.name_en and info.name_ru
    assert smsc_status(str(code)) == info  # form fields arrive as strings


@pytest.mark.parametrize("code", SMSC_ERR_CODES)
def test_every_smsc_err_code_is_explained_with_a_class(code):
    info = smsc_error(code)
    assert code in SMSC_ERRORS
    assert info.en and info.ru and info.action
    assert info.error_class is not ErrorClass.UNKNOWN or code in (245, 255)


@pytest.mark.parametrize("code", SMSC_API_CODES)
def test_every_smsc_api_error_is_explained(code):
    info = smsc_api_error(code)
    assert info.error_class is not ErrorClass.UNKNOWN and info.en and info.ru


@pytest.mark.parametrize("word", WEBCOM_STATES)
def test_every_webcom_state_maps(word):
    assert webcom_state(word).state is not DeliveryState.UNKNOWN
    assert webcom_state(word.upper()) == webcom_state(word)


@pytest.mark.parametrize("text", WEBCOM_TEXTS)
def test_every_webcom_error_text_is_explained(text):
    info = webcom_error(text)
    assert text in WEBCOM_ERRORS
    assert info.error_class is not ErrorClass.UNKNOWN and info.en and info.ru == text


def test_finality_follows_the_docs():
    assert not smsc_status(-1).final and not smsc_status(0).final and not smsc_status(-2).final
    assert all(smsc_status(c).final for c in (-3, 1, 2, 3, 4, 20, 22, 23, 24, 25))
    assert not webcom_state("send").final
    assert all(webcom_state(w).final for w in ("deliver", "read", "not_deliver", "expired"))


def test_substring_trap_deliver_vs_not_deliver():
    assert webcom_state("not_deliver").state is DeliveryState.FAILED
    assert webcom_state("deliver").state is DeliveryState.DELIVERED


@pytest.mark.parametrize("raw", [99, "abc", None, "", 7.5, "999999999999"])
def test_unknown_values_never_raise_and_keep_the_raw_value(raw):
    status = smsc_status(raw)
    assert status.state is DeliveryState.UNKNOWN
    assert str(status.code) in status.name_en
    assert smsc_error(raw).error_class in (ErrorClass.UNKNOWN, ErrorClass.NONE)
    assert webcom_state(raw).state is DeliveryState.UNKNOWN
    assert webcom_error(raw).error_class is ErrorClass.UNKNOWN


def test_error_classes_a_triager_can_act_on():
    assert smsc_error(1).error_class is ErrorClass.PERMANENT  # absent subscriber: never resend
    assert smsc_error(6).error_class is ErrorClass.TEMPORARY  # offline: resend later
    assert smsc_error(254).error_class is ErrorClass.CONFIGURATION  # unregistered sender
    assert smsc_error(247).error_class is ErrorClass.ACCOUNT
    assert smsc_api_error(9).error_class is ErrorClass.TEMPORARY


def test_explain_combines_status_and_error():
    status, err = explain("smsc", "20", "6")
    assert status.state is DeliveryState.FAILED and err is not None and err.code == 6
    status, err = explain("smsc", 1, 0)
    assert status.state is DeliveryState.DELIVERED and err is None
    status, err = explain("webcom", "expired")
    assert status.state is DeliveryState.EXPIRED and err is None


def test_webcom_state_names_agree_in_both_languages() -> None:
    # `partly_deliver` once read "No delivery report · Частично доставлено": two statements.
    info = explain("webcom", "partly_deliver", None)[0]
    assert info.name_en.startswith("Partly delivered")
    assert info.name_ru.startswith("Частично доставлено")
    assert "no final report" in info.name_en and "итогового отчёта нет" in info.name_ru
