"""Publishing at delivery: the link comes after the results, and a gallery that cannot be made costs only itself."""

from __future__ import annotations

from pathlib import Path

from bot.gallery.tokens import new_token, same_hash, token_hash, well_formed
from bot.jobs import JobState
from bot.options import Options
from bot.wiring.app import build_core
from tests.conftest import make_settings, photo
from tests.doubles import RecordingSurface, ScriptedProvider, images
from tests.gallery.conftest import PUBLIC


def test_tokens_are_long_random_and_stored_only_as_hashes() -> None:
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000 and all(well_formed(t) and len(t) == 32 for t in tokens)  # 192 bits each
    token = tokens.pop()
    assert token not in token_hash(token) and same_hash(token_hash(token), token)
    assert not same_hash(token_hash(token), new_token())
    assert not well_formed(token[:-1]) and not well_formed(token + "A") and not well_formed("../" + token[3:])


async def test_the_link_follows_the_results_and_a_broken_gallery_does_not_stop_them(tmp_path: Path) -> None:
    surface = RecordingSurface()
    settings = make_settings(tmp_path, public_base_url=PUBLIC)
    scripted = ScriptedProvider(script=[images(3), images(3)])
    core = await build_core(settings, surfaces={"test": surface}, providers={"scripted": scripted})
    try:
        request = core.intake.build_request([photo()], Options(count=3), "scripted")
        first = await core.intake.accept(request, owner="u1", surface="test", thread={"thread": "a"})
        await core.runner.run_until_idle()
        assert [bool(post.links) for post in surface.posts] == [False, True]  # the images, then the link

        # A second job whose previews cannot be written: a file stands where their folder goes.
        second = await core.intake.accept(request, owner="u1", surface="test", thread={"thread": "b"})
        blocked = tmp_path / "blobs" / "jobs" / second.id / "thumbs"
        blocked.parent.mkdir(parents=True, exist_ok=True)  # the photos are there already
        blocked.write_bytes(b"in the way")
        await core.runner.run_until_idle()
        job = await core.store.get(second.id)
        assert job is not None and job.state is JobState.DELIVERED and job.results_done == 3
        later = [post for post in surface.posts if post.thread == {"thread": "b"}]
        assert len(later) == 1 and len(later[0].files) == 3 and not later[0].links
        assert surface.statuses[-1].startswith("✅") and surface.status_links[-1] == []
        assert (await core.store.get(first.id)) is not None
    finally:
        await core.close()
