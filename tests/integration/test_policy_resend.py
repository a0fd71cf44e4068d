"""One resend policy against the real emulator: the engine and the CLI refuse what it refuses."""

from __future__ import annotations

import asyncio

import pytest

from smstui.cli import main
from smstui.model import DeliveryState, Message, Provider
from smstui.policy import ResendRefused


def sends(emu) -> int:
    return sum(emu.stats()["requests"].get(k, 0) for k in ("smsc.send",))


def cached(state: DeliveryState, raw: str, err: int | None, at: float) -> Message:
    return Message(
        account="main", provider=Provider.SMSC, message_id="777", phone="79161234567",
        state=state, raw_status=raw, error_code=err, text="Ваш код 1234", sent_at=at - 60,
        updated_at=at,
    )  # fmt: skip


@pytest.fixture
async def engine(make_engine):
    async with make_engine(seed=1, messages=5) as pair:
        yield pair


async def test_engine_refuses_a_wrong_number_the_ui_calls_permanent(engine) -> None:
    engine, emu = engine
    wrong = cached(DeliveryState.REJECTED, "22", None, emu.clock.now())  # no err: status alone
    engine.store.apply([wrong])
    before = sends(emu)
    with pytest.raises(ResendRefused, match="Wrong number: a permanent failure"):
        await engine.resend(wrong.key)
    assert sends(emu) == before  # nothing reached the gateway
    result = await engine.resend(wrong.key, allow_permanent=True)  # the UI's explicit override
    assert result.message_id and sends(emu) == before + 1


async def test_engine_holds_a_sim_swap_failure_for_24_hours(engine) -> None:
    engine, emu = engine
    swapped = cached(DeliveryState.FAILED, "20", 219, emu.clock.now())
    engine.store.apply([swapped])
    with pytest.raises(ResendRefused, match=r"SIM card replaced.*Not before"):
        await engine.resend(swapped.key)
    emu.clock.advance(24 * 3600)
    assert (await engine.resend(swapped.key)).message_id  # the wait is over


@pytest.fixture
def config_path(tmp_path):
    def write(base_url: str) -> str:
        path = tmp_path / "config.toml"
        path.write_text(
            f'[cache]\ndir = "{tmp_path / "cache"}"\n\n[[accounts]]\nname = "smsc"\n'
            f'provider = "smsc"\nbase_url = "{base_url}"\nlogin = "demo"\npassword = "demo"\n',
            encoding="utf-8",
        )
        path.chmod(0o600)
        return str(path)

    return write


async def test_cli_resend_refuses_a_permanent_failure_without_force(
    make_emulator, config_path, capsys
) -> None:
    async with make_emulator(seed=1, messages=60, rate=0) as emu:
        config = config_path(emu.base_url)
        row = next(r for r in emu.truth() if r["provider"] == "smsc" and r["status"] == 25)
        argv = ["resend", str(row["id"]), "--phone", row["phone"], "--yes", "--config", config]
        before = sends(emu)
        code = await asyncio.to_thread(main, argv)
        err = capsys.readouterr().err
        assert code == 2 and "No route: a permanent failure" in err and "--force" in err
        assert sends(emu) == before
        # --force does reach the gateway, which (like the real one) refuses the dead number.
        code = await asyncio.to_thread(main, [*argv, "--force"])
        assert sends(emu) == before + 1
        assert code == 1 and "smsc error 8" in capsys.readouterr().err
