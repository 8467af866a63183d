"""Shared fixtures: a real core on real SQLite and blob files in tmp_path."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import Core, build_core
from bot.options import Options
from bot.photos import Photo
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


CoreFactory = Callable[..., Awaitable[Core]]


@pytest.fixture
async def make_core(
    tmp_path: Path, surface: RecordingSurface, scripted: ScriptedProvider
) -> AsyncIterator[CoreFactory]:
    """Build cores on tmp_path (the same data each time, like restarts); keyword arguments go to Settings."""
    built: list[Core] = []

    async def make(*, providers: dict[str, Any] | None = None, **settings: Any) -> Core:
        core = await build_core(
            make_settings(tmp_path, **settings),
            data_dir=tmp_path,
            providers={"scripted": scripted} if providers is None else providers,
            surfaces={"test": surface},
            callback_base="http://127.0.0.1:9",
        )
        built.append(core)
        return core

    yield make
    for core in built:
        await core.close()


@pytest.fixture
async def core(make_core: CoreFactory) -> Core:
    return await make_core()


def photo(shade: int = 0) -> Photo:
    """A small photo as the core receives it after intake."""
    return Photo(data=jpeg(512, 512, shade))


async def submit(core: Core, *, provider: str = "scripted", count: int = 1, owner: str = "u1", photos: int = 1) -> str:
    """Accept a job through the core's intake, as an adapter would; returns its id."""
    request = core.intake.build_request([photo(n) for n in range(photos)], Options(count=count), provider)
    job = await core.intake.accept(request, owner=owner, surface="test", thread={"thread": "t1"})
    return job.id
