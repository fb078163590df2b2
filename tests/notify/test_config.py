"""Reading the notification settings, and what may be shown of a URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from ama_tui.notify.config import DEFAULT_MAX_PER_MINUTE, load_config, parse_config
from ama_tui.notify.masking import mask_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("json://127.0.0.1:8080/hooks/SECRET", "json://127.0.0.1:8080/…"),
        ("jsons://user:pass@hooks.example.com/SECRET?x=1", "jsons://hooks.example.com/…"),
        ("slack://TOKENA/TOKENB/TOKENC/#chan", "slack://…"),
        ("discord://123456/WEBHOOKTOKEN", "discord://…"),
        ("tgram://123456789:ABCdefSECRET/42", "tgram://…"),
        ("mailto://me:SECRET@gmail.com", "mailto://gmail.com/…"),
        ("json://localhost/SECRET", "json://localhost/…"),
        ("not a url", "(unreadable URL)"),
        ("json://[broken/SECRET", "(unreadable URL)"),
    ],
)
def test_a_masked_url_keeps_scheme_and_host_only(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_urls_are_comma_separated_and_summaries_off_by_default() -> None:
    config = parse_config({"AMA_NOTIFY_URLS": " json://a.example/x , ,slack://T/B/C,json://a.example/x"})
    assert config.urls == ("json://a.example/x", "slack://T/B/C")
    assert config.enabled
    assert config.rules.summary_every_s is None
    assert config.max_per_minute == DEFAULT_MAX_PER_MINUTE
    assert config.problems == ()
    assert not parse_config({}).enabled


def test_summary_interval_and_rate_limit_settings() -> None:
    config = parse_config({"AMA_NOTIFY_SUMMARY_S": "900", "AMA_NOTIFY_MAX_PER_MINUTE": "5"})
    assert config.rules.summary_every_s == 900
    assert config.max_per_minute == 5
    assert parse_config({"AMA_NOTIFY_SUMMARY_S": "0"}).rules.summary_every_s is None


def test_bad_values_are_said_and_the_defaults_used() -> None:
    config = parse_config({"AMA_NOTIFY_SUMMARY_S": "soon", "AMA_NOTIFY_MAX_PER_MINUTE": "0"})
    assert config.rules.summary_every_s is None
    assert config.max_per_minute == DEFAULT_MAX_PER_MINUTE
    assert len(config.problems) == 2
    assert "AMA_NOTIFY_SUMMARY_S" in config.problems[0] and "AMA_NOTIFY_MAX_PER_MINUTE" in config.problems[1]


def test_the_env_files_are_read_like_every_other_setting(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("AMA_NOTIFY_URLS=json://from-env.example/a\nAMA_NOTIFY_SUMMARY_S=60\n")
    (tmp_path / ".env.local").write_text("AMA_NOTIFY_URLS=json://from-local.example/b\n")
    config = load_config(tmp_path, environ={})
    assert config.urls == ("json://from-local.example/b",)
    assert config.rules.summary_every_s == 60
    process = load_config(tmp_path, environ={"AMA_NOTIFY_URLS": "json://process.example/c"})
    assert process.urls == ("json://process.example/c",)
