"""The brand kit as the core holds it: fitting a request, refusing what is outside, narrowing forms."""

from __future__ import annotations

import pytest

from bot.brand_kit import BrandKit, KitError, parse_kit_words
from bot.options import Options
from bot.ports import JobStore
from bot.request import Field

KIT = BrandKit.build({"style": ["executive", "professional"], "background": ["office"]})


def test_values_keep_the_options_order_and_a_full_list_means_any() -> None:
    assert KIT.style == ("professional", "executive") and KIT.attire == ()
    every = BrandKit.build(
        {"attire": ["casual", "scrubs", "keep_original", "business_formal", "business_casual", "smart_casual"]}
    )
    assert every.is_open


def test_defaults_move_into_the_kit_but_what_was_asked_for_is_checked() -> None:
    fitted = KIT.fit(Options.from_dict({"style": "casual", "background": "outdoor", "count": 3}), explicit={"count"})
    assert (fitted.style, fitted.background, fitted.count) == ("professional", "office", 3)
    asked = KIT.fit(Options.from_dict({"style": "casual"}), explicit={"style"})
    problem = KIT.check(asked)
    assert problem is not None and problem.field is Field.STYLE
    assert problem.sentence == "This workspace's brand kit allows these styles: Professional, Executive."
    assert KIT.check(fitted) is None


def test_a_locked_kit_names_its_one_look() -> None:
    chosen = {"style": "executive", "background": "studio_gray", "aspect_ratio": "3:4"}
    look = BrandKit.one_look(Options.from_dict(chosen))
    assert look.is_locked and look.describe() == "Executive, Studio grey, Own clothes, 3:4"
    problem = look.check(Options.from_dict({"background": "office"}))
    assert problem is not None and problem.sentence == (
        "This workspace uses one look for everyone: Executive, Studio grey, Own clothes, 3:4."
    )


def test_forms_are_narrowed_to_the_kit() -> None:
    assert KIT.narrow("style", ["casual", "executive", "professional"]) == ["executive", "professional"]
    assert KIT.narrow("quality", ["standard", "high"]) == ["standard", "high"]
    assert KIT.styles() == ["professional", "executive"]


def test_words_are_read_by_value_or_label() -> None:
    assert parse_kit_words("background", "Studio white, office") == ["studio_white", "office"]
    assert parse_kit_words("style", "executive professional") == ["executive", "professional"]
    assert parse_kit_words("attire", "own clothes") == ["keep_original"]
    assert parse_kit_words("style", "any") == []
    with pytest.raises(KitError, match="“glam” is not one of the choices"):
        parse_kit_words("style", "executive, glam")


def test_a_lock_wants_one_of_each_and_unknown_values_are_refused() -> None:
    with pytest.raises(KitError, match="exactly one value of each"):
        BrandKit.build({"style": ["executive"]}, lock=True)
    with pytest.raises(KitError, match="“neon” is not one of the choices"):
        BrandKit.build({"background": ["neon"]})


def test_the_stored_form_reads_back_and_forgets_values_no_longer_known() -> None:
    assert BrandKit.from_json(KIT.to_json()) == KIT
    assert BrandKit.from_json('{"style": ["executive", "retired"]}') == BrandKit(style=("executive",))
    assert BrandKit.from_json("not json") == BrandKit()


async def test_both_stores_keep_one_kit_per_workspace(store: JobStore) -> None:
    assert await store.brand_kit("slack:T1") is None
    await store.save_brand_kit("slack:T1", KIT, "slack:T1:U1")
    await store.save_brand_kit("slack:T2", BrandKit(style=("casual",)), "slack:T2:U9")
    await store.save_brand_kit("slack:T1", BrandKit(aspect_ratio=("1:1",)), "slack:T1:U2")
    assert await store.brand_kit("slack:T1") == BrandKit(aspect_ratio=("1:1",))
    assert await store.brand_kit("slack:T2") == BrandKit(style=("casual",))
