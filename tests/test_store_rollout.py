"""Campaigns and export links, once for both stores (SQLite and PostgreSQL)."""

from __future__ import annotations

import time

from bot.campaigns.model import Campaign, Invitee, Step, StepState
from bot.jobs import ExportLink, Favourite, Job, JobChange, JobState
from bot.options import Options
from bot.ports import JobStore

NOW = time.time()
CAMPAIGN = Campaign("c" * 32, "slack:T1", "slack", "Headshot day", "slack:T1:UADMIN", NOW - 10, NOW + 86400, NOW + 3600)
PEOPLE = [Invitee(f"slack:T1:U{n}", {"team": "T1", "user": f"U{n}"}) for n in range(3)]


async def test_export_links_are_found_by_hash_until_they_expire(store: JobStore) -> None:
    link = ExportLink("h" * 64, "slack:T1", "slack:T1:", "slack", "slack:T1:UADMIN", NOW + 100)
    await store.add_export_link(link, NOW)
    assert await store.export_link("h" * 64, NOW) == link
    assert await store.export_link("h" * 64, NOW + 101) is None
    assert await store.export_link("0" * 64, NOW) is None
    await store.add_export_link(ExportLink("i" * 64, "slack:T1", "slack:T1:", "slack", "x", NOW + 500), NOW + 200)
    assert await store.export_link("h" * 64, NOW) is None  # the expired one went with the next write


async def test_a_campaigns_steps_come_due_in_order_and_once(store: JobStore) -> None:
    await store.add_campaign(CAMPAIGN, [*PEOPLE, PEOPLE[0]])  # a person listed twice is on it once
    assert await store.campaign(CAMPAIGN.id) == CAMPAIGN
    assert await store.campaigns_in("slack:T1") == [CAMPAIGN] and await store.campaigns_in("slack:T2") == []
    due = await store.due_steps(NOW, NOW - 60, 10)
    assert [(d.person.invitee.owner, d.step) for d in due] == [(p.owner, Step.INVITE) for p in PEOPLE]
    assert due[0].person.invitee.address == {"team": "T1", "user": "U0"}

    await store.set_step(CAMPAIGN.id, PEOPLE[0].owner, Step.INVITE, StepState.STARTED, NOW)
    await store.set_step(CAMPAIGN.id, PEOPLE[1].owner, Step.INVITE, StepState.POSTED, NOW)
    await store.set_step(CAMPAIGN.id, PEOPLE[2].owner, Step.INVITE, StepState.FAILED, NOW)
    assert await store.due_steps(NOW, NOW - 60, 10) == []  # one started a moment ago is not looked at yet
    [stale] = await store.due_steps(NOW + 61, NOW + 1, 10)
    assert stale.person.invitee.owner == PEOPLE[0].owner and stale.state is StepState.STARTED

    later = await store.due_steps(CAMPAIGN.remind_at + 1, NOW - 60, 10)
    assert [(d.person.invitee.owner, d.step) for d in later] == [(PEOPLE[1].owner, Step.REMIND)]
    await store.set_step(CAMPAIGN.id, PEOPLE[1].owner, Step.REMIND, StepState.POSTED, NOW)
    assert await store.due_steps(CAMPAIGN.remind_at + 1, NOW - 60, 10) == []
    assert await store.due_steps(CAMPAIGN.deadline + 1, CAMPAIGN.deadline, 10) == []  # nothing after the deadline


async def test_the_roster_follows_jobs_and_favourites_and_forgets(store: JobStore) -> None:
    await store.add_campaign(CAMPAIGN, PEOPLE)
    await store.set_step(CAMPAIGN.id, PEOPLE[0].owner, Step.INVITE, StepState.POSTED, NOW)
    for n, state in ((0, JobState.DELIVERED), (1, JobState.QUEUED)):
        job = Job(id=f"{n}" * 32, owner=PEOPLE[n].owner, surface="slack", thread={}, provider="studio",
                  options=Options(), photo_count=1, workspace="slack:T1", created_at=NOW)
        await store.add(job)
        await store.update(job.id, JobChange(state=state))
    await store.add_result("0" * 32, 0, "jobs/x/out/00.jpg", 10)
    await store.mark_favourite(Favourite(PEOPLE[0].owner, "0" * 32, 0, NOW))
    old = Job(id="9" * 32, owner=PEOPLE[2].owner, surface="slack", thread={}, provider="studio", options=Options(),
              photo_count=1, workspace="slack:T1", created_at=NOW - 3600)  # before the campaign: not counted
    await store.add(old)

    first, second, third = await store.roster(CAMPAIGN.id)
    assert (first.invited, first.photos_sent, first.delivered, first.favourite) == (True, True, True, True)
    assert (second.invited, second.photos_sent, second.delivered, second.favourite) == (False, True, False, False)
    assert (third.photos_sent, third.delivered) == (False, False)
    [due] = [d for d in await store.due_steps(CAMPAIGN.remind_at + 1, NOW - 60, 10) if d.step is Step.REMIND]
    assert due.has_favourite

    await store.forget_owner(PEOPLE[1].owner)
    assert [line.invitee.owner for line in await store.roster(CAMPAIGN.id)] == [PEOPLE[0].owner, PEOPLE[2].owner]
