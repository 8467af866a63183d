"""Options written as words in a mention: what is read, what is passed over, what is guessed."""

from __future__ import annotations

from bot.options import parse_option_words


def test_mention_words_pass_over_filler_and_guess_misspelt_options() -> None:
    parsed = parse_option_words("Headshots please! make me some execuitve offce x3 banana 🙏".split(), ["studio"])
    assert parsed.values == {"count": "3"}
    assert parsed.guessed == [("execuitve", "executive"), ("offce", "office")]
    assert parsed.unknown == ["banana"]


def test_every_option_word_still_reads() -> None:
    parsed = parse_option_words("executive studio-gray business_formal high 9:16 x4 studio".split(), ["studio"])
    assert parsed.values == {"style": "executive", "background": "studio_gray", "attire": "business_formal",
                             "quality": "high", "aspect_ratio": "9:16", "count": "4"}
    assert parsed.provider == "studio" and parsed.unknown == [] and parsed.guessed == []
