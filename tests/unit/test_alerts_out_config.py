"""[alerts] in the config: apprise URLs are secrets everywhere, mistakes name their key."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from smstui.config import InsecureConfigWarning, load_config, parse_config
from smstui.errors import ConfigError
from smstui.secrets import mask_values

TOKEN = "123456789:ABCdefGHIjklMNOpqrsTUVwxyz"
ACCOUNT = '[[accounts]]\nname = "main"\nprovider = "smsc"\nlogin = "l"\npassword_env = "PW"\n'


def config(tmp_path: Path, alerts: str, mode: int = 0o600) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(ACCOUNT + "[alerts]\n" + alerts, encoding="utf-8")
    path.chmod(mode)
    return path


def test_notify_urls_load_as_secrets_with_their_settings(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PW", "pw")
    loaded = load_config(config(tmp_path, f'notify = ["tgram://{TOKEN}/42", "json://h/x"]\n'
                                           "min_interval_s = 120\ntimeout_s = 5\n"))  # fmt: skip
    alerts = loaded.alerts
    assert [u.reveal() for u in alerts.notify] == [f"tgram://{TOKEN}/42", "json://h/x"]
    assert (alerts.min_interval_s, alerts.timeout_s) == (120.0, 5.0)
    assert TOKEN not in repr(loaded) and TOKEN not in str(alerts)
    assert TOKEN not in mask_values(f"sent to tgram://{TOKEN}/42", loaded.secrets())


def test_defaults_without_the_table() -> None:
    alerts = parse_config({}).alerts
    assert alerts.notify == () and alerts.min_interval_s == 300.0 and alerts.timeout_s == 10.0


def test_notify_env_holds_several_urls(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PW", "pw")
    monkeypatch.setenv("SMSTUI_NOTIFY", f"tgram://{TOKEN}/42  json://h/x")
    path = config(tmp_path, 'notify_env = "SMSTUI_NOTIFY"\n', mode=0o644)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InsecureConfigWarning)  # nothing inline: no warning
        loaded = load_config(path)
    assert [u.reveal() for u in loaded.alerts.notify] == [f"tgram://{TOKEN}/42", "json://h/x"]


def test_inline_urls_in_a_readable_file_warn(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PW", "pw")
    with pytest.warns(InsecureConfigWarning, match="chmod 600"):
        load_config(config(tmp_path, f'notify = ["tgram://{TOKEN}/42"]\n', mode=0o644))


@pytest.mark.parametrize(
    ("alerts", "key", "problem"),
    [
        ('notify = "json://h/x"\n', "alerts.notify", "must be a list of URLs"),
        ('notify = ["json://h/x", 5]\n', "alerts.notify", "must be a list of URLs"),
        (f'notify = ["{TOKEN}"]\n', "alerts.notify[0]", "must be a URL"),
        ('notify = []\nnotify_env = "X"\n', "alerts.notify", "not both"),
        ('notify_env = "SMSTUI_UNSET_NOTIFY"\n', "alerts.notify_env", "is not set"),
        ("min_interval_s = -1\n", "alerts.min_interval_s", "between 0 and 86400"),
        ('min_interval_s = "5m"\n', "alerts.min_interval_s", "number of seconds"),
        ("timeout_s = 0.1\n", "alerts.timeout_s", "between 1 and 120"),
        ("notfiy = []\n", "alerts.notfiy", "did you mean 'notify'"),
    ],
)
def test_each_mistake_names_its_key_and_never_the_url(
    tmp_path, monkeypatch, alerts: str, key: str, problem: str
) -> None:
    monkeypatch.setenv("PW", "pw")
    with pytest.raises(ConfigError) as caught:
        load_config(config(tmp_path, alerts))
    assert caught.value.key == key and problem in str(caught.value)
    assert TOKEN not in str(caught.value)
