"""Which Slack mode is on, what `check` and `slack-manifest` say about it, and start-up refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.slack.manifest import render_manifest
from bot.wiring.check import check_lines
from tests.conftest import make_settings
from tests.slack.conftest import SlackHarness
from tests.slack.fake_slack import CLIENT_ID, CLIENT_SECRET, TOKEN
from tests.test_cli import run_cli

OAUTH = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET, "SLACK_SIGNING_SECRET": "s" * 32}


@pytest.mark.parametrize(("key", "said"), [(None, "SECRET_KEY is not set"), ("short", "SECRET_KEY is too short")])
def test_serve_in_oauth_mode_without_a_usable_secret_key_stops_with_one_line(
    tmp_path: Path, key: str | None, said: str
) -> None:
    env = {**OAUTH, "PORT": "0"} | ({"SECRET_KEY": key} if key else {})
    result = run_cli("serve", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {said}") and result.stderr.count("\n") == 1
    assert CLIENT_SECRET not in result.stderr + result.stdout


def test_check_says_which_mode_is_on(tmp_path: Path) -> None:
    def slack_line(**values: object) -> tuple[str, bool]:
        lines, ok = check_lines(make_settings(tmp_path, **values))
        return next(line for line in lines if line.startswith("slack")), ok

    oauth = {"slack_client_id": CLIENT_ID, "slack_client_secret": CLIENT_SECRET, "slack_signing_secret": "s" * 32}
    line, ok = slack_line(**oauth, secret_key="k" * 32, public_base_url="https://bot.example")
    assert ok and "configured" in line and "OAuth mode" in line and "https://bot.example/slack/install" in line
    line, ok = slack_line(**oauth)
    assert not ok and "incomplete" in line and "SECRET_KEY is not set" in line
    line, ok = slack_line(slack_client_id=CLIENT_ID)
    assert not ok and "missing SLACK_CLIENT_SECRET, SLACK_SIGNING_SECRET" in line
    line, ok = slack_line(**oauth, slack_bot_token=TOKEN)
    assert ok and "single-workspace mode" in line


def test_check_names_what_set_as_my_slack_photo_still_needs(tmp_path: Path) -> None:
    def photos_line(**values: object) -> str | None:
        lines, _ok = check_lines(make_settings(tmp_path, **values))
        return next((line for line in lines if line.startswith("photos")), None)

    single = {"slack_bot_token": TOKEN, "slack_signing_secret": "s" * 32}
    everything = {**single, "slack_client_id": CLIENT_ID, "slack_client_secret": CLIENT_SECRET,
                  "secret_key": "k" * 32, "public_base_url": "https://bot.example"}
    line = photos_line(**everything)
    assert line is not None and "configured" in line and "https://bot.example/slack/user-auth" in line
    line = photos_line(**single)
    assert line is not None and " off " in line
    assert "SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, PUBLIC_BASE_URL, SECRET_KEY" in line
    line = photos_line(**{**everything, "secret_key": "short", "public_base_url": None})
    assert line is not None and "incomplete" in line
    assert line.endswith("needs PUBLIC_BASE_URL, a SECRET_KEY of at least 32 characters")
    assert photos_line() is None  # no Slack at all: nothing to say


def test_the_manifest_names_the_redirect_url_and_never_socket_mode_for_many_workspaces(tmp_path: Path) -> None:
    manifest = json.loads(render_manifest("https://bot.example/", oauth=True))
    assert manifest["oauth_config"]["redirect_urls"] == [
        "https://bot.example/slack/oauth_redirect", "https://bot.example/slack/user-auth/callback"
    ]
    assert manifest["oauth_config"]["scopes"]["user"] == ["users.profile:write"]
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert {"app_uninstalled", "tokens_revoked"} <= set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert "redirect_urls" not in json.loads(render_manifest("https://bot.example/"))["oauth_config"]
    refused = run_cli("slack-manifest", cwd=tmp_path, env={**OAUTH, "SECRET_KEY": "k" * 32, "PUBLIC_BASE_URL": ""})
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: Slack for many workspaces needs PUBLIC_BASE_URL")
    printed = run_cli("slack-manifest", cwd=tmp_path, env={**OAUTH, "PUBLIC_BASE_URL": "https://bot.example"})
    assert json.loads(printed.stdout)["oauth_config"]["redirect_urls"][0] == "https://bot.example/slack/oauth_redirect"
    single = json.loads(render_manifest("https://bot.example/"))["oauth_config"]
    assert "user" not in single["scopes"]  # without SLACK_CLIENT_ID no person is asked for anything


@pytest.fixture
def client_credentials_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SLACK_CLIENT_SECRET", CLIENT_SECRET)


async def test_single_workspace_mode_keeps_its_token_with_client_credentials_in_the_environment(
    client_credentials_in_the_environment: None, harness: SlackHarness
) -> None:
    answer = await harness.command()
    assert answer.status == 200
    await harness.settle()
    [opened] = harness.fake.calls_to("views.open")
    assert opened.token == TOKEN
