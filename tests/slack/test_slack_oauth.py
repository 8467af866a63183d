"""Slack for many workspaces: the install flow, its one-time state, and a token per workspace per call."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

from tests.doubles import jpeg
from tests.fakes.cdn import FakeCDN
from tests.slack.conftest import SlackHarness
from tests.slack.fake_slack import CLIENT_ID, FakeSlack
from tests.slack.workspaces import (
    ALPHA,
    BRAVO,
    CHANNEL,
    command,
    follow,
    install,
    mention,
    oauth_bot,
    open_install_page,
    submit,
    team_of_call,
    waiting_for_callback,
)


def assert_every_call_carried_its_own_workspace_token(fake: FakeSlack) -> None:
    for call in fake.calls:
        if call.method in ("oauth.v2.access", "apps.connections.open"):
            continue
        carried = fake.team_of(call.token)
        assert carried is not None, f"{call.method} carried no valid token"
        named = team_of_call(call.params)
        if named is not None:
            assert carried == named, f"{call.method} for {named} carried the token of {carried}"
        if call.method == "views.open":
            assert str(call.params["trigger_id"]).startswith(f"trigger-{carried}-")
    for team, bearer in fake.downloads_by_token:
        assert fake.team_of(bearer) == team


async def test_the_install_page_links_to_slack_with_scopes_client_id_and_a_one_time_state(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with oauth_bot(tmp_path, fake) as h:
        link, cookie = await open_install_page(h, ALPHA)
        url = urllib.parse.urlsplit(link)
        query = urllib.parse.parse_qs(url.query)
        assert f"{url.scheme}://{url.netloc}{url.path}" == f"{fake.url}/oauth/v2/authorize"
        assert query["client_id"] == [CLIENT_ID] and query["team"] == [ALPHA]
        assert {"commands", "chat:write", "files:read", "files:write"} <= set(query["scope"][0].split(","))
        assert cookie == f"slack-app-oauth-state={query['state'][0]}"
        second, _ = await open_install_page(h, ALPHA)
        assert urllib.parse.parse_qs(urllib.parse.urlsplit(second).query)["state"] != query["state"]


async def test_two_workspaces_install_and_every_call_carries_the_workspace_own_token(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with oauth_bot(tmp_path, fake) as h:
        for team in (ALPHA, BRAVO):
            done = await install(h, team)
            assert done.status == 200 and "installed" in done.page and f"Team {team}" in done.page
        [alpha_token], [bravo_token] = fake.tokens_of(ALPHA), fake.tokens_of(BRAVO)
        assert alpha_token != bravo_token
        exchanges = fake.calls_to("oauth.v2.access")
        assert len(exchanges) == 2 and all(c.params.get("code") for c in exchanges)
        for team in (ALPHA, BRAVO, ALPHA):
            await command(h, team)
            await submit(h, team)
        await mention(h, BRAVO)
        await h.settle()
        assert len(fake.calls_to("views.open")) == 3
        for team in (ALPHA, BRAVO):
            status = next(m for m in fake.messages[CHANNEL[team]] if "thread_ts" not in m)
            assert status["text"].startswith("✅"), status["text"]
        assert len(fake.calls_to("files.completeUploadExternal")) == 4
        assert {fake.team_of(c.token) for c in fake.calls_to("chat.update")} == {ALPHA, BRAVO}
        assert_every_call_carried_its_own_workspace_token(fake)


async def test_a_late_delivery_after_a_restart_carries_its_workspace_token(tmp_path: Path, fake: FakeSlack) -> None:
    async with oauth_bot(tmp_path, fake) as h:
        await install(h, ALPHA)
        await install(h, BRAVO)
        for team in (ALPHA, BRAVO):
            waiting_for_callback(h)
            await submit(h, team, "scripted")
        await h.settle()
        callbacks = [str(c.callback_url) for c in h.scripted.calls]
    fake.calls.clear()
    async with oauth_bot(tmp_path, fake) as h, FakeCDN() as cdn:  # hours later, after a restart
        for n, url in enumerate(callbacks):
            body = {"event": "headshots.completed", "headshots_id": f"remote-{n}",
                    "image_urls": [cdn.put(f"{n}.jpg", jpeg(shade=n))]}
            async with h.http.post(url.replace("http://bot.invalid", h.url), json=body) as response:
                assert response.status == 200 and (await response.json())["status"] == "accepted"
        await h.settle()
        uploads = fake.calls_to("files.completeUploadExternal")
        assert sorted(str(fake.team_of(c.token)) for c in uploads) == [ALPHA, BRAVO]
        assert_every_call_carried_its_own_workspace_token(fake)


async def test_a_wrong_a_missing_and_a_replayed_state_answer_4xx_and_call_nothing(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with oauth_bot(tmp_path, fake) as h:
        link, cookie = await open_install_page(h, ALPHA)
        async with h.http.get(link, allow_redirects=False) as response:
            redirect = response.headers["Location"]
        state = urllib.parse.parse_qs(urllib.parse.urlsplit(redirect).query)["state"][0]
        forged = redirect.replace(state, "forged-state-value")
        refused = [
            await follow(h, forged, cookie),  # wrong state for this browser
            await follow(h, forged, "slack-app-oauth-state=forged-state-value"),  # never issued
            await follow(h, redirect, None),  # no cookie: another browser
            await follow(h, redirect.split("&state=")[0].split("?state=")[0], cookie),  # no state at all
        ]
        assert all(400 <= r.status < 500 and "Nothing was installed" in r.page for r in refused)
        assert fake.calls_to("oauth.v2.access") == []
        assert (await follow(h, redirect, cookie)).status == 200
        replayed = await follow(h, redirect, cookie)
        assert 400 <= replayed.status < 500 and "already used" in replayed.page
        assert len(fake.calls_to("oauth.v2.access")) == 1
        assert await h.core.store.installations() != []


async def test_a_code_slack_refuses_answers_a_page_that_says_so(tmp_path: Path, fake: FakeSlack) -> None:
    async with oauth_bot(tmp_path, fake) as h:
        link, cookie = await open_install_page(h, ALPHA)
        async with h.http.get(link, allow_redirects=False) as response:
            redirect = response.headers["Location"]
        fake.codes.clear()  # the code expired at Slack
        refused = await follow(h, redirect, cookie)
        assert 400 <= refused.status < 500 and "did not accept the authorization code" in refused.page
        assert await h.core.store.installations() == []


async def test_rotated_tokens_are_refreshed_before_they_expire_and_used_at_once(
    tmp_path: Path, fake: FakeSlack
) -> None:
    fake.rotation, fake.expires_in = True, 600  # inside the two hours before expiry: refreshed at first use
    async with oauth_bot(tmp_path, fake) as h:
        await install(h, ALPHA)
        [first] = fake.tokens_of(ALPHA)
        await command(h, ALPHA)
        await h.settle()
        refreshes = [c for c in fake.calls_to("oauth.v2.access") if c.params.get("grant_type") == "refresh_token"]
        assert len(refreshes) == 1
        [opened] = fake.calls_to("views.open")
        assert opened.token != first and fake.team_of(opened.token) == ALPHA
        fake.expires_in = 43200
        waiting = len(fake.calls_to("oauth.v2.access"))
        await submit(h, ALPHA)
        await h.settle()
        assert len(fake.calls_to("oauth.v2.access")) == waiting + 1  # the 600 s token was refreshed again, once
        latest = fake.tokens_of(ALPHA)[-1]
        assert {c.token for c in fake.calls_to("files.completeUploadExternal")} == {latest}


async def redirect_answer(h: SlackHarness, query: str, cookie: str | None) -> tuple[int, str, str | None]:
    """GET /slack/oauth_redirect?query: the status, the page and the Set-Cookie header, if any."""
    headers = {"Cookie": cookie} if cookie else {}
    async with h.http.get(f"{h.url}/slack/oauth_redirect?{query}", headers=headers, allow_redirects=False) as r:
        return r.status, await r.text(), r.headers.get("Set-Cookie")


async def test_an_error_without_a_valid_state_answers_4xx_and_leaves_the_state_cookie_alone(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with oauth_bot(tmp_path, fake) as h:
        link, cookie = await open_install_page(h, ALPHA)  # an install under way in this browser
        async with h.http.get(link, allow_redirects=False) as response:
            redirect = response.headers["Location"]
        forged = "slack-app-oauth-state=forged-state-value"
        for query, sent in [
            ("error=access_denied", None),  # a bare link from anywhere
            ("error=access_denied", cookie),  # the same, opened in the installing browser
            ("error=access_denied&state=forged-state-value", forged),  # a state never issued
            ("error=access_denied&state=forged-state-value", cookie),  # not this browser's state
            ("state=forged-state-value&code=abc", forged),
        ]:
            status, page, set_cookie = await redirect_answer(h, query, sent)
            assert 400 <= status < 500 and "Nothing was installed" in page, (query, status)
            assert set_cookie is None, (query, set_cookie)
        assert fake.calls_to("oauth.v2.access") == []
        done = await follow(h, redirect, cookie)  # the pending install still works
        assert done.status == 200 and "installed" in done.page


async def test_a_cancelled_install_with_its_valid_state_says_so_and_uses_the_state_up(
    tmp_path: Path, fake: FakeSlack
) -> None:
    async with oauth_bot(tmp_path, fake) as h:
        link, cookie = await open_install_page(h, ALPHA)
        state = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["state"][0]
        status, page, set_cookie = await redirect_answer(h, f"error=access_denied&state={state}", cookie)
        assert status == 200 and "cancelled" in page
        assert set_cookie is not None and set_cookie.startswith("slack-app-oauth-state=deleted")
        async with h.http.get(link, allow_redirects=False) as response:
            redirect = response.headers["Location"]
        replayed = await follow(h, redirect, cookie)
        assert 400 <= replayed.status < 500 and "already used" in replayed.page
        assert fake.calls_to("oauth.v2.access") == []
