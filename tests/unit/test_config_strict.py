"""Unknown config keys and keymap actions are errors that name the key and the likely intent."""

from pathlib import Path

import pytest

from smstui.cli import main
from smstui.config import KEYMAP_IDS, load_config, parse_config
from smstui.errors import ConfigError

ACCOUNT = '[[accounts]]\nname = "main"\nprovider = "smsc"\nlogin = "x"\npassword_env = "PW_X"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


@pytest.fixture(autouse=True)
def _password(monkeypatch):
    monkeypatch.setenv("PW_X", "pw")


@pytest.mark.parametrize(
    ("text", "key", "hint"),
    [
        (ACCOUNT + "timout = 5\n", "accounts[0] (main).timout", "'timeout'"),
        (ACCOUNT + "low_balanse = 5\n", "accounts[0] (main).low_balanse", "'low_balance'"),
        (ACCOUNT + "[pol]\nstatus_interval_s = 60\n", "pol", "'poll'"),
        (ACCOUNT + "[poll]\nstatus_interval = 60\n", "poll.status_interval", "'status_interval_s'"),
        (ACCOUNT + "[cache]\ndirectory = '/tmp/x'\n", "cache.directory", None),
        (ACCOUNT + '[webhook]\nlisen = "127.0.0.1:1"\n', "webhook.lisen", "'listen'"),
        (ACCOUNT + '[ui]\ntimezon = "UTC"\n', "ui.timezon", "'timezone'"),
        (ACCOUNT + "[ui]\nbananas = 1\n", "ui.bananas", None),
    ],
)  # fmt: skip
def test_unknown_key_is_an_error_naming_it_and_the_close_one(tmp_path, text, key, hint):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message and f"{key}: unknown key" in message
    if hint is None:
        assert "did you mean" not in message
    else:
        assert f"(did you mean {hint}?)" in message


def test_a_typo_before_the_name_is_still_named(tmp_path):
    path = write(tmp_path, '[[accounts]]\nnmae = "main"\nprovider = "smsc"\n')
    with pytest.raises(
        ConfigError, match=r"accounts\[0\]\.nmae: unknown key \(did you mean 'name'\?\)"
    ):
        load_config(path)


def test_unknown_keymap_action_names_the_close_one_and_lists_all(tmp_path):
    path = write(tmp_path, ACCOUNT + '[ui]\nkeymap = { resnd = "ctrl+r" }\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "ui.keymap.resnd: unknown action (did you mean 'resend'?)" in message
    assert all(action in message for action in KEYMAP_IDS)


@pytest.mark.parametrize("value", ["1", '""', '" , "', '["ctrl+r"]'])
def test_keymap_keys_must_be_a_key_string(tmp_path, value):
    path = write(tmp_path, ACCOUNT + f"[ui]\nkeymap = {{ resend = {value} }}\n")
    with pytest.raises(ConfigError, match=r"ui\.keymap\.resend: must be a key"):
        load_config(path)


def test_known_keymap_and_theme_load():
    config = parse_config(
        {"ui": {"keymap": {"resend": "ctrl+r", "quit": " ctrl+q,f10 "}, "theme": "nord"}}
    )
    assert config.keymap == {"resend": "ctrl+r", "quit": "ctrl+q,f10"}
    assert config.theme == "nord"


def test_theme_must_be_a_string():
    with pytest.raises(ConfigError, match=r"ui\.theme: must be a non-empty string"):
        parse_config({"ui": {"theme": 3}})


def test_every_documented_key_is_accepted(tmp_path, monkeypatch):
    # The README's example config, every key in it, loads as it is written.
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("```toml\n[[accounts]]")
    example = readme[start + len("```toml\n") : readme.index("```", start + 8)]
    for name in ("SMSC_PASSWORD", "WEBCOM_TOKEN", "SMSC_HOOK_SECRET", "HOOK_PATH"):
        monkeypatch.setenv(name, "x-value")
    example = example.replace('dir = "/path/to/cache"', f'dir = "{tmp_path}"')
    config = load_config(write(tmp_path, example))
    assert config.keymap == {"resend": "ctrl+r", "export_jsonl": "ctrl+e"}
    assert config.accounts[0].timeout_s == 10


def test_cli_reports_the_unknown_key_in_one_line_exit_2(tmp_path, capsys):
    path = write(tmp_path, ACCOUNT + "timout = 5\n")
    code = main(["balance", "--config", str(path)])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.strip().count("\n") == 0
    assert err.startswith("smstui: config error: ") and "did you mean 'timeout'" in err


def test_low_bandwidth_is_a_true_or_false_setting():
    assert parse_config({"ui": {"low_bandwidth": True}}).low_bandwidth is True
    assert parse_config({}).low_bandwidth is False
    with pytest.raises(ConfigError, match=r"ui\.low_bandwidth: must be true or false"):
        parse_config({"ui": {"low_bandwidth": "yes"}})
