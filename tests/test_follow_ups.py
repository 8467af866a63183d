"""Follow-up jobs in the core: what a press sends to the provider."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot.buttons import FollowUpKind
from bot.followups import Press
from bot.intake import Ask
from bot.jobs import JobState, ThreadAddress
from bot.wiring.app import Core
from tests.doubles import RecordingSurface, ScriptedProvider
from tests.images import astronaut_jpeg


@dataclass(frozen=True)
class Upload:
    """`bot.chat.PhotoFetcher` for one uploaded file."""

    name: str
    data: bytes

    async def fetch(self) -> list[tuple[str, bytes]]:
        return [(self.name, self.data)]


class Thread:
    """`bot.chat.StatusOpener` that opens the same test thread each time."""

    async def open(self, photo_count: int, *, private: bool, intake_id: str | None) -> ThreadAddress:
        return {"thread": "t1"}


async def test_more_like_these_sends_the_kept_photos_byte_for_byte(
    core: Core, surface: RecordingSurface, scripted: ScriptedProvider
) -> None:
    ask = Ask(owner="u1", values={"count": 1}, provider="scripted")
    first = await core.intake.start(ask, Upload("portrait.jpg", astronaut_jpeg()), Thread(), surface)
    await core.runner.run_until_idle()
    press = Press(FollowUpKind.MORE, first.id, "u1")
    again = await core.follow_ups.start(press, await core.follow_ups.check(press), Thread(), surface)
    await core.runner.run_until_idle()

    done = await core.store.get(again.id)
    assert done is not None and done.state is JobState.DELIVERED
    sent_first, sent_again = ([hashlib.sha256(p.data).hexdigest() for p in call.photos] for call in scripted.calls)
    assert len(sent_again) == 1 and sent_again == sent_first  # no second JPEG generation
