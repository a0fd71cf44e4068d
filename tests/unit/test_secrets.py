"""Secrets stay masked in reprs, formatting, URLs and bodies."""

import pickle

import pytest

from smstui.secrets import MASK, Secret, mask_text


def test_secret_never_shows_itself():
    secret = Secret("hunter2")
    assert "hunter2" not in repr(secret) + str(secret) + f"{secret}" + f"{secret!r}"
    assert secret.reveal() == "hunter2"
    assert Secret("a") == Secret("a") and Secret("a") != Secret("b")


def test_secret_cannot_be_pickled():
    with pytest.raises(TypeError):
        pickle.dumps(Secret("hunter2"))


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("https://smsc.ru/sys/status.php?login=a&psw=hunter2&id=1", "hunter2"),
        ("GET /sys/balance.php?apikey=K3Y-123&fmt=3", "K3Y-123"),
        ('{"login": "demo", "password": "xq zz"}', "xq zz"),
        ('{"token":"tok-99"}', "tok-99"),
        ("/sendsms.php?user=u&pwd=p4ss&smsid=1", "p4ss"),
        ("https://x/cb?md5=s3cr3t&charset=utf-8", "s3cr3t"),
    ],
)
def test_mask_text_hides_credential_parameters(text, leak):
    masked = mask_text(text)
    assert all(part not in masked for part in leak.split()) and MASK in masked


def test_mask_text_hides_given_values_anywhere():
    assert mask_text("error for hunter2 in body", [Secret("hunter2")]) == "error for *** in body"
    assert mask_text("id=1&login=demo") == "id=1&login=demo"
