from pathlib import Path

import pytest

from ama_tui.settings import DEFAULT_APP_URL, SettingsError, load_live_settings

REGISTRY = "0x5fbdb2315678afecb367f032d93f642f64180aa3"


def test_nothing_set_means_no_live_exchange(tmp_path: Path) -> None:
    assert load_live_settings(tmp_path, environ={}) is None


def test_full_environment(tmp_path: Path) -> None:
    settings = load_live_settings(
        tmp_path,
        environ={
            "RPC_URL": "http://127.0.0.1:8545/",
            "SESSION_REGISTRY_ADDRESS": REGISTRY,
            "CHAIN_ID": "31337",
        },
    )
    assert settings is not None
    assert settings.rpc_url == "http://127.0.0.1:8545"
    assert settings.session_registry == "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    assert settings.chain_id == 31337
    assert settings.app_url == DEFAULT_APP_URL


def test_alternative_names(tmp_path: Path) -> None:
    settings = load_live_settings(
        tmp_path,
        environ={
            "RPC_URL_HYPEREVM": "https://rpc.hyperliquid.xyz/evm",
            "SESSION_REGISTRY_ADDRESS": REGISTRY,
            "NEXT_PUBLIC_CHAIN_ID": "999",
            "APP_URL": "https://dexetra.example",
        },
    )
    assert settings is not None and settings.chain_id == 999 and settings.app_url == "https://dexetra.example"


def test_precedence_process_then_env_local_then_env(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"RPC_URL=http://from-env:1\nSESSION_REGISTRY_ADDRESS={REGISTRY}\nCHAIN_ID=1\n"
    )
    (tmp_path / ".env.local").write_text("RPC_URL=http://from-local:2\nCHAIN_ID=2\n")
    settings = load_live_settings(tmp_path, environ={"CHAIN_ID": "3"})
    assert settings is not None
    assert (settings.rpc_url, settings.chain_id) == ("http://from-local:2", 3)


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({"RPC_URL": "http://x:1"}, ["SESSION_REGISTRY_ADDRESS", "CHAIN_ID"]),
        ({"CHAIN_ID": "999"}, ["RPC_URL", "SESSION_REGISTRY_ADDRESS"]),
        ({"SESSION_REGISTRY_ADDRESS": REGISTRY, "CHAIN_ID": "999"}, ["RPC_URL"]),
    ],
)
def test_half_set_environment_names_what_is_missing(
    tmp_path: Path, environ: dict[str, str], names: list[str]
) -> None:
    with pytest.raises(SettingsError) as err:
        load_live_settings(tmp_path, environ=environ)
    for name in names:
        assert name in str(err.value)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("RPC_URL", "localhost:8545"),
        ("SESSION_REGISTRY_ADDRESS", "0x1234"),
        ("CHAIN_ID", "nine-nine-nine"),
        ("CHAIN_ID", "-5"),
        ("APP_URL", "ftp://nope"),
    ],
)
def test_malformed_value_names_the_variable(tmp_path: Path, key: str, value: str) -> None:
    environ = {"RPC_URL": "http://x:1", "SESSION_REGISTRY_ADDRESS": REGISTRY, "CHAIN_ID": "999", key: value}
    with pytest.raises(SettingsError, match=key):
        load_live_settings(tmp_path, environ=environ)
