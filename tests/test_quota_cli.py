"""Quota settings (read once, refused with one line naming the variable), `check` and `usage` from the shell."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.jobs import Job
from bot.options import Options
from bot.quotas import Charge, Limit, Period, QuotaPolicy, Scope
from bot.wiring.settings import Settings
from storage.sqlite import SqliteJobStore
from tests.test_cli import run_cli


def settings_from(monkeypatch: pytest.MonkeyPatch, **variables: str) -> Settings:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_every_limit_is_read_and_unset_means_no_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(
        monkeypatch,
        QUOTA_AGENTAI_PER_USER_PER_DAY="8",
        QUOTA_AGENTAI_PER_WORKSPACE_PER_MONTH="400",
        QUOTA_RUNFLOW_PER_USER_PER_MONTH="60",
        QUOTA_STUDIO_PER_WORKSPACE_PER_DAY="0",
        QUOTA_RUNFLOW_PER_WORKSPACE_PER_MONTH="",
    )
    assert set(settings.quotas.limits) == {
        Limit("agentai", Scope.USER, Period.DAY, 8),
        Limit("agentai", Scope.WORKSPACE, Period.MONTH, 400),
        Limit("runflow", Scope.USER, Period.MONTH, 60),
        Limit("studio", Scope.WORKSPACE, Period.DAY, 0),
    }
    assert settings.quotas.for_provider("studio") == (Limit("studio", Scope.WORKSPACE, Period.DAY, 0),)
    assert Settings(_env_file=None, quotas=QuotaPolicy()).quotas.limits == ()  # type: ignore[call-arg]


def test_a_dotenv_file_works_too_and_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text("QUOTA_AGENTAI_PER_USER_PER_DAY=3\nquota_runflow_per_user_per_month=120\n")
    monkeypatch.setenv("QUOTA_AGENTAI_PER_USER_PER_DAY", "5")
    settings = Settings(_env_file=env)  # type: ignore[call-arg]
    assert set(settings.quotas.limits) == {
        Limit("agentai", Scope.USER, Period.DAY, 5), Limit("runflow", Scope.USER, Period.MONTH, 120)
    }


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("QUOTA_AGENTAI_PER_USER_PER_DAY", "-1", "QUOTA_AGENTAI_PER_USER_PER_DAY must be a whole number of images"),
        ("QUOTA_AGENTAI_PER_USER_PER_DAY", "lots", "QUOTA_AGENTAI_PER_USER_PER_DAY must be a whole number of images"),
        ("QUOTA_RUNFLOW_PER_WORKSPACE_PER_MONTH", "2.5", "QUOTA_RUNFLOW_PER_WORKSPACE_PER_MONTH must be a whole"),
        ("QUOTA_FOO_PER_USER_PER_DAY", "8", "QUOTA_FOO_PER_USER_PER_DAY names no provider “foo”"),
        ("QUOTA_AGENTAI_PER_TEAM_PER_WEEK", "8", "QUOTA_AGENTAI_PER_TEAM_PER_WEEK is not a quota setting"),
    ],
)
def test_a_bad_value_stops_start_up_with_one_line_naming_the_variable(
    tmp_path: Path, name: str, value: str, expected: str
) -> None:
    for command in ("serve", "check"):
        done = subprocess.run(
            [sys.executable, "-m", "bot.wiring.cli", command],
            env={"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path), name: value, "PORT": "0"},
            cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: " + expected), lines
        assert "Traceback" not in done.stderr and done.stdout == ""


LIMITS = {"QUOTA_AGENTAI_PER_USER_PER_DAY": "8", "QUOTA_STUDIO_PER_WORKSPACE_PER_MONTH": "400"}


def test_check_lists_the_limits_in_force(tmp_path: Path) -> None:
    assert "quotas   off" in run_cli("check", cwd=tmp_path).stdout
    result = run_cli("check", cwd=tmp_path, env=LIMITS)
    assert result.returncode == 0, result.stderr
    quota_lines = [line for line in result.stdout.splitlines() if line.startswith("quotas")]
    assert quota_lines == [
        "quotas   in force       8 agentai images per user per UTC day (QUOTA_AGENTAI_PER_USER_PER_DAY)",
        "quotas   in force       400 studio images per workspace per UTC month (QUOTA_STUDIO_PER_WORKSPACE_PER_MONTH)",
    ]


async def charge(store: SqliteJobStore, n: int, owner: str, workspace: str, provider: str, images: int) -> None:
    job_id = f"{n:032x}"
    await store.hold_charge(Charge(job_id, provider, owner, workspace, images, time.time()), [], time.time() + 60)
    await store.admit(Job(id=job_id, owner=owner, surface="test", thread={}, provider=provider, options=Options(),
                          photo_count=1, workspace=workspace))


async def test_usage_prints_every_workspace_as_a_table_or_one_of_them(tmp_path: Path) -> None:
    assert run_cli("usage", cwd=tmp_path).stdout == "No headshots were counted for any workspace this month.\n"
    store = await SqliteJobStore.open(tmp_path / "data" / "headshot-bot.db")
    await charge(store, 1, "slack:T1:U1", "slack:T1", "studio", 3)
    await charge(store, 2, "slack:T1:U2", "slack:T1", "studio", 2)
    await charge(store, 3, "discord:55", "discord:900", "agentai", 4)
    await store.close()
    result = run_cli("usage", cwd=tmp_path, env=LIMITS)
    assert result.returncode == 0, result.stderr
    rows = [line.split()[:6] for line in result.stdout.splitlines()]
    assert rows[0] == ["WORKSPACE", "WHO", "PROVIDER", "PERIOD", "USED", "LIMIT"]
    assert rows[1:] == [
        ["discord:900", "workspace", "agentai", "day", "4", "-"],
        ["discord:900", "workspace", "agentai", "month", "4", "-"],
        ["discord:900", "discord:55", "agentai", "day", "4", "8"],
        ["discord:900", "discord:55", "agentai", "month", "4", "-"],
        ["slack:T1", "workspace", "studio", "day", "5", "-"],
        ["slack:T1", "workspace", "studio", "month", "5", "400"],
        ["slack:T1", "slack:T1:U1", "studio", "day", "3", "-"],
        ["slack:T1", "slack:T1:U1", "studio", "month", "3", "-"],
        ["slack:T1", "slack:T1:U2", "studio", "day", "2", "-"],
        ["slack:T1", "slack:T1:U2", "studio", "month", "2", "-"],
    ]
    assert "at 00:00 UTC, in" in result.stdout.splitlines()[3] and " 1 " in result.stdout.splitlines()[6]
    one = run_cli("usage", "--workspace", "T1", cwd=tmp_path, env=LIMITS).stdout.splitlines()
    assert [line.split()[0] for line in one] == ["WORKSPACE", *["slack:T1"] * 6]
    unused = run_cli("usage", "--workspace", "T9", cwd=tmp_path, env=LIMITS).stdout.splitlines()
    assert [line.split()[:6] for line in unused[1:]] == [
        ["T9", "workspace", "agentai", "day", "0", "-"], ["T9", "workspace", "agentai", "month", "0", "-"],
        ["T9", "workspace", "studio", "day", "0", "-"], ["T9", "workspace", "studio", "month", "0", "400"],
    ]


def test_generate_is_counted_as_user_cli_and_refused_past_a_limit(tmp_path: Path) -> None:
    limit = {"QUOTA_STUDIO_PER_USER_PER_MONTH": "1"}
    first = run_cli("generate", "--sample", "--out", "out", cwd=tmp_path, env=limit)
    assert first.returncode == 0, first.stderr
    second = run_cli("generate", "--sample", "--out", "out", cwd=tmp_path, env=limit)
    assert second.returncode != 0 and second.stdout == ""
    lines = second.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: You have used 1 of your 1 Studio headshots for this month")
    usage = run_cli("usage", cwd=tmp_path, env=limit)
    rows = [line.split()[:6] for line in usage.stdout.splitlines()[1:]]
    assert ["cli", "cli", "studio", "month", "1", "1"] in rows, usage.stdout
