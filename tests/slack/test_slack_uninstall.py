"""Workspaces that leave: uninstall and revocation, a changed SECRET_KEY, and what the database holds."""

from __future__ import annotations

import hashlib
import logging
import urllib.parse
from pathlib import Path

import pytest

from bot.blob_keys import photo_key
from bot.jobs import Job, JobState
from tests.doubles import jpeg
from tests.fakes.cdn import FakeCDN
from tests.slack.conftest import SlackHarness
from tests.slack.fake_slack import CLIENT_SECRET, FakeSlack
from tests.slack.workspaces import (
    ALPHA,
    BRAVO,
    CALLBACK_BASE,
    CHANNEL,
    KEY,
    USER,
    command,
    event,
    install,
    oauth_bot,
    open_install_page,
    submit,
    waiting_for_callback,
)

REMOVALS = {
    "app_uninstalled": {"type": "app_uninstalled"},
    "tokens_revoked": {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOTT0BRAVO"]}},
}


async def waiting_job(h: SlackHarness, team: str) -> tuple[Job, str]:
    """A job of `team` handed to the asynchronous provider, and the callback URL it was given."""
    waiting_for_callback(h)
    await submit(h, team, "scripted")
    await h.settle()
    [job] = await h.core.store.jobs_for_owner(f"slack:{team}:{USER[team]}")
    assert job.state is JobState.WAITING
    call = next(c for c in h.scripted.calls if c.job_id == job.id)
    return job, str(call.callback_url)


async def call_back(h: SlackHarness, cdn: FakeCDN, url: str, job: Job) -> str:
    """The provider's completion callback for a job; what our server answered."""
    body = {"event": "headshots.completed", "headshots_id": job.remote_id, "image_urls": [cdn.put("r.jpg", jpeg())]}
    async with h.http.post(url.replace(CALLBACK_BASE, h.url), json=body) as response:
        assert response.status == 200
        return str((await response.json())["status"])


@pytest.mark.parametrize("removal", sorted(REMOVALS))
async def test_a_removed_workspace_loses_its_tokens_at_once_and_its_jobs_end_quietly(
    tmp_path: Path, fake: FakeSlack, removal: str
) -> None:
    async with oauth_bot(tmp_path, fake) as h, FakeCDN() as cdn:
        await install(h, ALPHA)
        await install(h, BRAVO)
        alpha_job, alpha_url = await waiting_job(h, ALPHA)
        bravo_job, bravo_url = await waiting_job(h, BRAVO)
        assert await h.core.blobs.exists(photo_key(bravo_job.id, 0))
        bravo_messages = [dict(m) for m in fake.messages[CHANNEL[BRAVO]]]
        fake.revoke(BRAVO)  # what Slack does to the tokens before it tells the app
        assert (await h.event(event(BRAVO, REMOVALS[removal]))).status == 200
        await h.settle()
        assert await h.core.store.installation(f"slack:team:{BRAVO}") is None
        assert await h.core.store.installation(f"slack:team:{ALPHA}") is not None
        ended = await h.core.store.get(bravo_job.id)
        assert ended is not None and ended.state is JobState.FAILED
        assert not await h.core.blobs.exists(photo_key(bravo_job.id, 0))
        assert await call_back(h, cdn, bravo_url, bravo_job) == "duplicate"  # the provider finishing changes nothing
        await h.settle()
        still = await h.core.store.get(bravo_job.id)
        assert still is not None and still.state is JobState.FAILED
        assert fake.messages[CHANNEL[BRAVO]] == bravo_messages  # not a word more in that workspace
        assert await call_back(h, cdn, alpha_url, alpha_job) == "accepted"  # the other workspace carries on
        await h.settle()
        delivered = await h.core.store.get(alpha_job.id)
        assert delivered is not None and delivered.state is JobState.DELIVERED
        assert {fake.team_of(c.token) for c in fake.calls_to("files.completeUploadExternal")} == {ALPHA}


async def test_revoking_only_a_user_token_keeps_the_installation(tmp_path: Path, fake: FakeSlack) -> None:
    async with oauth_bot(tmp_path, fake) as h:
        await install(h, ALPHA)
        revoked = {"type": "tokens_revoked", "tokens": {"oauth": [f"U0INSTALLER{ALPHA}"], "bot": []}}
        assert (await h.event(event(ALPHA, revoked))).status == 200
        await h.settle()
        assert await h.core.store.installation(f"slack:team:{ALPHA}") is not None
        await command(h, ALPHA)
        await h.settle()
        assert len(fake.calls_to("views.open")) == 1


async def test_a_changed_secret_key_is_reported_once_and_its_workspaces_count_as_not_installed(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    async with oauth_bot(tmp_path, fake) as h:
        await install(h, ALPHA)
        job, url = await waiting_job(h, ALPHA)
    caplog.set_level(logging.ERROR)
    async with oauth_bot(tmp_path, fake, secret_key="another-key-" + "x" * 32) as h, FakeCDN() as cdn:
        await command(h, ALPHA)
        await command(h, ALPHA)
        async with h.http.get(f"{h.url}/healthz") as response:
            assert response.status == 200
        reports = [r for r in caplog.records if "cannot be decrypted" in r.getMessage()]
        assert len(reports) == 1 and f"slack:team:{ALPHA}" in reports[0].getMessage()
        assert "install the app again" in reports[0].getMessage()
        assert fake.calls_to("views.open") == []
        assert all("reinstall" in str(r.get("text", "")) for r in fake.responses) and fake.responses
        assert await call_back(h, cdn, url, job) == "accepted"
        await h.settle()
        ended = await h.core.store.get(job.id)
        assert ended is not None and ended.state is JobState.FAILED  # nothing to post to, quietly
        assert not await h.core.blobs.exists(photo_key(job.id, 0))
        assert (await install(h, ALPHA)).status == 200  # installing again seals with the new key
        await command(h, ALPHA)
        await h.settle()
        assert len(fake.calls_to("views.open")) == 1


async def test_no_token_or_secret_is_in_the_database_files_in_clear(tmp_path: Path, fake: FakeSlack) -> None:
    fake.rotation, fake.expires_in = True, 600
    async with oauth_bot(tmp_path, fake) as h:
        for team in (ALPHA, BRAVO):
            await install(h, team)
            await command(h, team)  # refreshes the rotated token and stores the new one
        await h.settle()
        link, _cookie = await open_install_page(h, ALPHA)
        state = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["state"][0]
        assert len(await h.core.store.installations()) == 2
    files = list(tmp_path.glob("headshot-bot.db*"))
    assert len(files) >= 1
    stored = b"".join(path.read_bytes() for path in files)
    assert len(fake.issued) == 8  # two installs and two refreshes, each an access and a refresh token
    for secret in [*fake.issued, CLIENT_SECRET, KEY, state]:
        assert secret.encode() not in stored, secret[:8]
    assert hashlib.sha256(state.encode()).hexdigest().encode() in stored  # the state is kept, hashed
