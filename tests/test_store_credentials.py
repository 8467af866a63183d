"""People's own sealed tokens on both stores: one per owner, replaced, and gone with the owner or
their workspace."""

from __future__ import annotations

from bot.ports import JobStore


async def test_a_credential_is_kept_per_owner_and_goes_with_forget_and_its_workspace(store: JobStore) -> None:
    await store.save_user_credential("slack:T1:U1", b"sealed-1")
    await store.save_user_credential("slack:T1:U1", b"sealed-2")  # authorised again: the newer one stays
    await store.save_user_credential("slack:T1:U2", b"sealed-3")
    await store.save_user_credential("slack:T10:U1", b"sealed-4")  # another workspace whose id starts alike
    assert await store.user_credential("slack:T1:U1") == b"sealed-2"
    assert await store.user_credential("slack:T1:U9") is None
    assert await store.forget_owner("slack:T1:U1") == []
    assert await store.user_credential("slack:T1:U1") is None
    assert await store.delete_user_credential("slack:T1:U2") and not await store.delete_user_credential("slack:T1:U2")
    await store.save_user_credential("slack:T1:U2", b"sealed-5")
    assert await store.delete_user_credentials_with_prefix("slack:T1:") == 1
    assert await store.user_credential("slack:T1:U2") is None
    assert await store.user_credential("slack:T10:U1") == b"sealed-4"
