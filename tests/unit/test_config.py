"""Configuration: every mistake gives one clear message (file, key, problem), never a secret."""

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from smstui.cli import main
from smstui.config import InsecureConfigWarning, load_config
from smstui.errors import ConfigError
from smstui.model import Provider

GOOD = """
[[accounts]]
name = "main"
provider = "smsc"
base_url = "http://127.0.0.1:9999"
login = "mylogin"
password_env = "SMSTUI_TEST_PW"

[[accounts]]
name = "wc"
provider = "webcom"
token = "tok-inline-SECRET"

[cache]
dir = "{cache}"

[webhook]
listen = "127.0.0.1:8085"
smsc_secret_env = "SMSTUI_TEST_HOOK"
"""


def write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("SMSTUI_TEST_PW", "pw-from-env-SECRET")
    monkeypatch.setenv("SMSTUI_TEST_HOOK", "hook-SECRET")


def test_good_config_loads_with_defaults(tmp_path, env):
    config = load_config(write(tmp_path, GOOD.format(cache=tmp_path / "c")))
    main_acc, wc = config.accounts
    assert main_acc.provider is Provider.SMSC and main_acc.login == "mylogin"
    assert main_acc.password.reveal() == "pw-from-env-SECRET"
    assert wc.provider is Provider.WEBCOM and wc.base_url == "https://my3.webcom.mobi"
    assert wc.token.reveal() == "tok-inline-SECRET"
    assert config.cache_dir == tmp_path / "c"
    assert config.webhook.listen == "127.0.0.1:8085"
    assert config.webhook.smsc_secret.reveal() == "hook-SECRET"
    assert config.account("wc") is wc and config.account(None) is main_acc


def test_secrets_are_masked_in_every_repr(tmp_path, env):
    config = load_config(write(tmp_path, GOOD.format(cache=tmp_path)))
    text = repr(config) + str(config) + repr(config.accounts) + f"{config.accounts[0]}"
    for secret in ("pw-from-env-SECRET", "tok-inline-SECRET", "hook-SECRET"):
        assert secret not in text
    assert "***" in text


def test_smstui_config_env_overrides_the_default_path(tmp_path, env, monkeypatch):
    path = write(tmp_path, GOOD.format(cache=tmp_path))
    monkeypatch.setenv("SMSTUI_CONFIG", str(path))
    assert load_config().path == path


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("accounts = [", None, "invalid TOML"),
        ('[[accounts]]\nname = "a"\nprovider = "twilio"\nlogin = "x"\npassword = "p"',
         "provider", "unknown provider 'twilio'"),
        ('[[accounts]]\nname = "a"\nprovider = "smsc"\nlogin = "x"', "password",
         "missing secret"),
        ('[[accounts]]\nname = "a"\nprovider = "smsc"\nlogin = "x"\npassword_env = "NOPE_UNSET"',
         "password_env", "environment variable NOPE_UNSET is not set"),
        ('[[accounts]]\nprovider = "smsc"\nlogin = "x"\npassword = "p"', "name", "is required"),
        ('[[accounts]]\nname = "a"\nprovider = "smsc"\nbase_url = "ftp://x"\nlogin = "x"\n'
         'password = "p"', "base_url", "must start with http"),
        ('[[accounts]]\nname = "a"\nprovider = "webcom"\nlogin = "x"\napikey = "p"', "apikey",
         "not used by webcom"),
        ('[webhook]\nlisten = "nowhere"', "webhook.listen", "HOST:PORT"),
        ('[[accounts]]\nname = "a"\nprovider = "smsc"\nlogin = "x"\npassword = "p"\n'
         '[[accounts]]\nname = "a"\nprovider = "smsc"\nlogin = "y"\npassword = "q"',
         "accounts", "duplicate account name"),
        ('[poll]\nstatus_interval_s = -1', "poll.status_interval_s", "positive number"),
    ],
)  # fmt: skip
def test_each_mistake_names_file_key_and_problem(tmp_path, monkeypatch, text, key, problem):
    monkeypatch.delenv("NOPE_UNSET", raising=False)
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message and problem in message
    if key:
        assert key in message


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "absent.toml")


def test_inline_secret_in_a_world_readable_file_warns(tmp_path, env):
    path = write(tmp_path, GOOD.format(cache=tmp_path), mode=0o644)
    with pytest.warns(InsecureConfigWarning, match="chmod 600"):
        load_config(path)
    path.chmod(0o600)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_config(path)


def test_env_only_secrets_in_a_readable_file_do_not_warn(tmp_path, env):
    text = GOOD.format(cache=tmp_path).replace(
        'token = "tok-inline-SECRET"', 'token_env = "SMSTUI_TEST_PW"'
    )
    path = write(tmp_path, text, mode=0o644)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_config(path)


@pytest.mark.parametrize(
    "text",
    [
        '[[accounts]]\nname = "a"\nprovider = "nope"\nlogin = "x"\npassword = "hunter2-SECRET"',
        '[[accounts]]\nname = "a"\nprovider = "smsc"\nlogin = "x"\npassword = "hunter2-SECRET"\n'
        'timeout = "slow"',
        '[[accounts]]\nname = "a"\nprovider = "smsc"\nlogin = "x"\npassword = "hunter2-SECRET"\n'
        'password_env = "X"',
    ],
)
def test_cli_config_errors_exit_2_without_traceback_or_secret(tmp_path, capsys, text):
    path = write(tmp_path, text)
    code = main(["balance", "--config", str(path)])
    out, err = capsys.readouterr()
    assert code == 2
    assert "hunter2-SECRET" not in out + err and "Traceback" not in err
    assert str(path) in err


def test_python_dash_m_reports_config_errors_cleanly(tmp_path):
    path = write(tmp_path, "accounts = [")
    proc = subprocess.run(
        [sys.executable, "-m", "smstui", "balance", "--config", str(path)],
        capture_output=True, text=True, timeout=60, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "invalid TOML" in proc.stderr
