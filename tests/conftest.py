"""Shared fixtures: a real core on real SQLite and blob files in tmp_path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest

from bot.app import Core, build_core
from bot.options import Options
from bot.photos import Photo
from bot.providers import Provider
from bot.settings import Settings
from tests.doubles import RecordingSurface, ScriptedProvider, jpeg


def make_settings(tmp_path: Path, **values: Any) -> Settings:
    """Settings for tests: nothing from the environment or a .env file."""
    values.setdefault("data_dir", tmp_path)
    values.setdefault("allow_private_urls", True)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def surface() -> RecordingSurface:
    return RecordingSurface()


@pytest.fixture
def scripted() -> ScriptedProvider:
    return ScriptedProvider()


@pytest.fixture
async def core(tmp_path: Path, surface: RecordingSurface, scripted: ScriptedProvider) -> AsyncIterator[Core]:
    built = await build_core(make_settings(tmp_path), data_dir=tmp_path, surfaces={"test": surface})
    cast(dict[str, Provider], built.engine.providers)["scripted"] = scripted
    yield built
    await built.close()


def photo(shade: int = 0) -> Photo:
    """A small photo as the core receives it after intake."""
    return Photo(data=jpeg(512, 512, shade), width=512, height=512)


async def submit(core: Core, *, provider: str = "scripted", count: int = 1, owner: str = "u1", photos: int = 1) -> str:
    """Accept a job through the service, as an adapter would; returns its id."""
    request = core.service.build_request([photo(n) for n in range(photos)], Options(count=count), provider)
    job = await core.service.accept(request, owner=owner, surface="test", thread={"thread": "t1"})
    return job.id
