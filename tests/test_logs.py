"""Log lines: JSON or text, secrets redacted either way, the job carried by context."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logs import TagJob, configure_logging, job_context
from bot.wiring.app import Core
from tests.conftest import submit
from tests.test_cli import run_cli

SECRET = "sk-live-7a1c33e90b5d"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging replaces the root handlers and the exception hooks: put them back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    hooks = sys.excepthook, threading.excepthook
    yield
    root.handlers[:], root.level = handlers, level
    sys.excepthook, threading.excepthook = hooks
    logging.captureWarnings(False)


def emit_some_lines() -> None:
    log = logging.getLogger("some.library")
    log.info("outside any job")
    with job_context("0123456789abcdef"):
        log.warning("token %s refused\nsecond line", SECRET)

        async def inside() -> None:
            log.info("in a task started for the job")

        asyncio.run(inside())
        try:
            raise ValueError(f"bad key {SECRET}")
        except ValueError:
            log.exception("failed")


def test_json_lines_carry_the_job_and_never_a_secret(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging([SECRET], fmt="json")
    emit_some_lines()
    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines()]
    assert [line["message"] for line in lines][:3] == [
        "outside any job", "token *** refused\nsecond line", "in a task started for the job",
    ]
    assert [line.get("job") for line in lines] == [None, "01234567", "01234567", "01234567"]
    assert [line["logger"] for line in lines] == ["some.library"] * 4
    assert [line["level"] for line in lines] == ["info", "warning", "info", "error"]
    assert "ValueError: bad key ***" in lines[3]["exc"]
    assert SECRET not in err


def test_text_lines_name_the_job_and_never_a_secret(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging([SECRET])
    emit_some_lines()
    err = capsys.readouterr().err
    assert "some.library: outside any job" in err
    assert "some.library [job 01234567]: token *** refused" in err
    assert SECRET not in err


async def test_the_engine_tells_a_job_s_life_under_its_id(core: Core, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(TagJob())
    job_id = await submit(core, count=2)
    await core.runner.run_until_idle()
    story = [r.getMessage() for r in caplog.records if getattr(r, "job", None) == job_id[:8]]
    assert [line.split(":")[0].split(",")[0] for line in story] == [
        "accepted", "scripted called", "delivered 2 images"
    ], story


def test_an_unknown_log_format_is_one_sentence(tmp_path: Path) -> None:
    result = run_cli("check", cwd=tmp_path, env={"LOG_FORMAT": "xml"})
    assert result.returncode == 2 and result.stderr.startswith("error: LOG_FORMAT:"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
