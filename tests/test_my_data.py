"""`/my-data/{token}.zip` on a real server: everything kept about a person, and every refusal."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from bot.blob_keys import photo_key
from bot.gallery.tokens import new_token
from bot.intake import Ask
from bot.jobs import Favourite, JobState, ThreadAddress
from bot.my_data.archive import PersonalArchive
from bot.my_data.links import MyDataLinks
from bot.options import Options
from bot.wiring.app import Core
from tests.conftest import CoreFactory
from tests.consent import COMMANDS, agree, stored
from tests.doubles import jpeg
from tests.servers import running

OWNER, OTHER = "slack:T0:U1", "slack:T0:U2"
PUBLIC = "https://headshots.example.com"


class Photos:
    async def fetch(self) -> list[tuple[str, bytes]]:
        return [("me.jpg", jpeg(512, 512)), ("me2.jpg", jpeg(512, 512, 3))]


class Status:
    async def open(self, photo_count: int, *, private: bool, intake_id: str | None = None) -> ThreadAddress:
        return {"channel": "C1", "thread_ts": "1.0"}


@dataclass
class Served:
    core: Core
    url: str
    http: aiohttp.ClientSession
    data_dir: Path

    async def link(self, owner: str = OWNER) -> str:
        """A new export link, as the person's command answers it, pointed at this server."""
        answer = await self.core.my_data.answer(owner)
        found = re.search(r"https://headshots\.example\.com(/my-data/[A-Za-z0-9_-]+\.zip)", answer)
        assert found is not None, answer
        return self.url + found.group(1)


@pytest.fixture
async def served(make_core: CoreFactory, tmp_path: Path) -> AsyncIterator[Served]:
    """The real core with PUBLIC_BASE_URL, a person with one delivered job, settings, usage and consent."""
    core = await make_core(public_base_url=PUBLIC)
    await agree(core, OWNER, OTHER)
    await core.service.save_defaults(OWNER, Options(count=2), "scripted")
    job = await core.intake.start(
        Ask(OWNER, {"count": 2, "style": "executive"}, "scripted", "slack:T0"),
        Photos(),
        Status(),
        core.surfaces["test"],
    )
    await core.intake.start(Ask(OTHER, {}, "scripted"), Photos(), Status(), core.surfaces["test"])
    await core.runner.run_until_idle()
    assert (await core.store.get(job.id)).state is JobState.DELIVERED  # type: ignore[union-attr]
    async with running(core.web_app()) as url, aiohttp.ClientSession() as http:
        yield Served(core, url, http, tmp_path)


def assert_guarded(response: aiohttp.ClientResponse) -> None:
    """The gallery's headers, on every answer under /my-data."""
    assert response.headers["Cache-Control"] == "private"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


async def test_the_zip_holds_every_row_and_file_kept_about_the_person(served: Served) -> None:
    core = served.core
    async with served.http.get(await served.link()) as response:
        assert response.status == 200 and response.content_type == "application/zip"
        assert 'filename="my-headshot-data.zip"' in response.headers["Content-Disposition"]
        assert_guarded(response)
        body = await response.read()
        assert response.content_length == len(body)
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    (job,) = await core.store.jobs_for_owner(OWNER)
    names = archive.namelist()
    assert names[:7] == [
        "README.txt",
        "jobs.json",
        "settings.json",
        "usage.json",
        "consent.json",
        "favourites.json",
        f"jobs/{job.id}/headshot-01.jpg",
    ]
    assert set(names[7:]) == {
        f"jobs/{job.id}/headshot-02.jpg",
        f"jobs/{job.id}/photo-1.jpg",
        f"jobs/{job.id}/photo-2.jpg",
    }

    (row,) = json.loads(archive.read("jobs.json"))
    assert row["id"] == job.id and row["state"] == "delivered" and row["provider"] == "scripted"
    assert row["options"]["style"] == "executive" and row["options"]["count"] == 2 and row["photos"] == 2
    assert row["where"] == {"channel": "C1", "thread_ts": "1.0"} and row["asked_at"].endswith("+00:00")
    assert json.loads(archive.read("settings.json")) == {"options": Options(count=2).to_dict(), "provider": "scripted"}
    (charge,) = json.loads(archive.read("usage.json"))
    assert charge["job"] == job.id and charge["images"] == 2 and charge["workspace"] == "slack:T0"
    consent = json.loads(archive.read("consent.json"))
    (agreement,) = consent["agreements"]
    assert agreement["answer"] == "agreed" and agreement["version"] == core.consents.version
    assert "Who receives your photos" in agreement["text"] and consent["waiting_for_an_answer"] == []
    for result in await core.store.results(job.id):
        assert archive.read(f"jobs/{job.id}/headshot-{result.index + 1:02d}.jpg") == await core.blobs.get(
            result.blob_key or ""
        )
    assert archive.read(f"jobs/{job.id}/photo-2.jpg") == await core.blobs.get(photo_key(job.id, 1))
    assert OTHER not in body.decode("latin-1")  # nothing of anyone else


async def test_photos_no_longer_kept_are_not_in_the_zip(served: Served) -> None:
    await served.core.retention.sweep_photos(time.time() + 1)
    async with served.http.get(await served.link()) as response:
        archive = zipfile.ZipFile(io.BytesIO(await response.read()))
    assert not [n for n in archive.namelist() if "/photo-" in n]
    assert len([n for n in archive.namelist() if "/headshot-" in n]) == 2


async def test_wrong_expired_and_forgotten_links_get_the_same_page_and_change_nothing(served: Served) -> None:
    core = served.core
    good = await served.link()
    yesterday = MyDataLinks(core.store, base_url=PUBLIC, clock=lambda: time.time() - 25 * 3600)
    expired = (await yesterday.answer(OWNER)).rsplit("/", 1)[-1].removesuffix(".zip")  # ended an hour ago
    before = stored(served.data_dir)
    pages = set()
    for path in (
        f"/my-data/{new_token()}.zip",
        f"/my-data/{expired}.zip",
        "/my-data/short.zip",
        "/my-data",
        "/my-data/x/y",
        f"/my-data/{new_token()}",
    ):
        async with served.http.get(served.url + path) as response:
            assert response.status == 404 and response.content_type == "text/html", path
            assert_guarded(response)
            pages.add(await response.text())
    assert len(pages) == 1 and "No download here" in pages.pop()
    assert stored(served.data_dir) == before

    await core.service.forget(OWNER)
    async with served.http.get(good) as response:
        assert response.status == 404 and "No download here" in await response.text()


async def test_favourites_are_included_when_the_store_keeps_them(served: Served) -> None:
    core = served.core
    (job,) = await core.store.jobs_for_owner(OWNER)

    class Kept:
        async def favourites(self, owner: str) -> list[Favourite]:
            return [Favourite(owner, job.id, 1, 1_700_000_000.0)]

    archive = PersonalArchive(core.store, core.blobs, Kept())  # type: ignore[arg-type]
    entries = {entry.name: entry for entry in await archive.entries(OWNER)}
    chunks = [chunk async for chunk in entries["favourites.json"].chunks()]
    assert json.loads(b"".join(chunks)) == [{"job": job.id, "headshot": 2, "chosen_at": "2023-11-14T22:13:20+00:00"}]


async def test_a_request_waiting_for_an_answer_is_exported_without_its_interaction_token(served: Served) -> None:
    held = {"kind": "command", "photos": [{"filename": "me.jpg"}], "question": {"application_id": "1", "token": "t0k"}}
    await served.core.consents.ask(OWNER, "discord", held, commands=COMMANDS)
    async with served.http.get(await served.link()) as response:
        archive = zipfile.ZipFile(io.BytesIO(await response.read()))
    (waiting,) = json.loads(archive.read("consent.json"))["waiting_for_an_answer"]
    assert waiting["request"] == {
        "kind": "command",
        "photos": [{"filename": "me.jpg"}],
        "question": {"application_id": "1"},
    }
    assert waiting["surface"] == "discord" and b"t0k" not in archive.read("consent.json")
