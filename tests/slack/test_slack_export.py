"""The favourites export on Slack: an admin's link to one zip of everyone's favourite, with people.csv."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from typing import Any

import pytest

from bot.jobs import Favourite, Job
from tests.slack.conftest import SlackHarness, payload, portrait_jpeg
from tests.slack.test_slack_brand_kit import opened_views

PUBLIC = "https://headshots.example.com"
PEOPLE = {"U0ADA": ("Ada Lovelace", ""), "U0ZOE": ("Zoë O'Brien", "zoë/../../etc"), "U0EVA": ("=HYPERLINK(1)", "")}


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    return {"public_base_url": PUBLIC}


async def job_of(harness: SlackHarness, user: str, count: int = 1) -> Job:
    """A delivered scripted job of `user` in the team, through the request modal."""
    photo = harness.fake.add_user_file(f"{user}.jpg", portrait_jpeg())
    body = harness.submission([photo], "scripted", count=str(count))
    body["user"]["id"] = user
    await harness.interact(body)
    await harness.settle()
    return (await harness.core.store.jobs_for_owner(f"slack:T0TEAM:{user}"))[0]


def export_press(user: str = "U0USER") -> dict[str, Any]:
    body = payload("block_actions_button")
    body["user"] = {**body["user"], "id": user}
    body["container"] = {"type": "view", "view_id": "V0HOME0001"}
    body["actions"] = [{**body["actions"][0], "action_id": "headshot_export", "value": None}]
    return body


async def press_export(harness: SlackHarness, user: str = "U0USER") -> dict[str, Any]:
    answer = await harness.interact(export_press(user))
    assert answer.status == 200 and answer.elapsed < 3
    await harness.settle()
    return opened_views(harness)[-1]


def link_of(view: dict[str, Any], harness: SlackHarness) -> str:
    [button] = view["blocks"][1]["elements"]
    url = str(button["url"])
    assert url.startswith(f"{PUBLIC}/export/") and url.endswith(".zip")
    return url.replace(PUBLIC, harness.url)


async def test_an_admin_downloads_everyones_favourite_in_one_zip(harness: SlackHarness) -> None:
    for user, (real, display) in PEOPLE.items():
        harness.fake.add_user(user, real_name=real, display_name=display)
    harness.fake.add_user("U0USER", real_name="Admin", admin=True)
    store = harness.core.store
    ada_old, ada_new = await job_of(harness, "U0ADA"), await job_of(harness, "U0ADA", count=2)
    zoe, eva = await job_of(harness, "U0ZOE"), await job_of(harness, "U0EVA")
    await store.mark_favourite(Favourite(ada_old.owner, ada_old.id, 0, time.time() - 60))
    await store.mark_favourite(Favourite(ada_new.owner, ada_new.id, 1, time.time() - 30))  # her latest counts
    await store.mark_favourite(Favourite(zoe.owner, zoe.id, 0, 1_765_000_000))
    await store.mark_favourite(Favourite(eva.owner, eva.id, 0, time.time()))
    await job_of(harness, "U0NOFAV")  # no favourite, not in the zip

    view = await press_export(harness)
    assert "The link works for 24 hours" in view["blocks"][0]["text"]["text"]
    async with harness.http.get(link_of(view, harness)) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/zip"
        assert response.headers["Cache-Control"] == "private"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Robots-Tag"].startswith("noindex")
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        data = await response.read()
        assert int(response.headers["Content-Length"]) == len(data)

    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert archive.namelist() == ["people.csv", "HYPERLINK-1-U0EVA.jpg", "Ada-Lovelace-U0ADA.jpg", "zoë-etc-U0ZOE.jpg"]
    rows = list(csv.reader(io.StringIO(archive.read("people.csv").decode("utf-8"))))
    assert rows[0] == ["name", "user id", "file", "chosen at"]
    by_user = {row[1]: row for row in rows[1:]}
    assert set(by_user) == {"U0ADA", "U0ZOE", "U0EVA"}
    assert by_user["U0ADA"][0] == "Ada Lovelace" and by_user["U0ADA"][2] == "Ada-Lovelace-U0ADA.jpg"
    assert by_user["U0ZOE"][0] == "zoë/../../etc" and by_user["U0ZOE"][3] == "2025-12-06T05:46:40Z"
    assert by_user["U0ZOE"][2] == "zoë-etc-U0ZOE.jpg"
    assert by_user["U0EVA"][0] == "'=HYPERLINK(1)"  # never a formula in a spreadsheet
    [ada_result] = [r for r in await store.results(ada_new.id) if r.index == 1]
    assert ada_result.blob_key is not None
    assert archive.read("Ada-Lovelace-U0ADA.jpg") == await harness.core.blobs.get(ada_result.blob_key)


async def test_a_wrong_or_expired_link_gets_the_gallerys_404_and_someone_not_an_admin_no_link(
    harness: SlackHarness,
) -> None:
    harness.fake.add_user("U0USER", admin=True)
    url = link_of(await press_export(harness), harness)
    async with harness.http.get(url.replace(".zip", "x.zip")) as wrong:
        page = await wrong.text()
        assert wrong.status == 404 and wrong.headers["Cache-Control"] == "private"
    async with harness.http.get(f"{harness.url}/g/{'A' * 32}") as gallery:
        assert gallery.status == 404 and await gallery.text() == page  # the same friendly page
    async with harness.http.get(f"{harness.url}/export/anything/else") as strange:
        assert strange.status == 404
    harness.core.exports._clock = lambda: time.time() + 24 * 3600 + 1  # type: ignore[method-assign]
    async with harness.http.get(url) as expired:
        assert expired.status == 404 and await expired.text() == page

    harness.fake.add_user("U0BOB")
    view = await press_export(harness, "U0BOB")
    assert view["blocks"][0]["text"]["text"] == "Only this workspace's admins can change its headshot settings."
    assert len(view["blocks"]) == 1
