"""Options written as words in a mention: what is read, what is passed over, what is guessed."""

from __future__ import annotations

from bot.options import option_words, parse_option_words


def test_mention_words_pass_over_other_words_and_guess_misspelt_options() -> None:
    parsed = parse_option_words("Headshots please! make me some execuitve offce x3 banana 🙏".split(), ["studio"])
    assert parsed.values == {"count": "3"}
    assert parsed.guessed == [("execuitve", "executive"), ("offce", "office")]


def test_every_option_word_still_reads() -> None:
    parsed = parse_option_words("executive studio-gray business_formal high 9:16 x4 studio".split(), ["studio"])
    assert parsed.values == {"style": "executive", "background": "studio_gray", "attire": "business_formal",
                             "quality": "high", "aspect_ratio": "9:16", "count": "4"}
    assert parsed.provider == "studio" and parsed.guessed == []


def test_only_a_slip_of_the_keyboard_counts_as_a_misspelt_option() -> None:
    slips = "proffesional freindly casaul outdor gradiant abstarct standrad runflwo ofice studio-grey scrub"
    ordinary = "high-res thigh friends editor higher creation casualty professionally professionelle sigh"
    assert [guess for _, guess in parse_option_words(slips.split(), ["runflow"]).guessed] == [
        "professional", "friendly", "casual", "outdoor", "gradient", "abstract", "standard", "runflow", "office",
        "studio_gray", "scrubs"]
    assert parse_option_words(ordinary.split(), ["runflow"]).guessed == []


def test_words_are_found_in_any_script_and_width() -> None:
    assert option_words("写真executive、３：４ ｘ２「office」 «casual» l’équipe 📸 studio-gray!") == [
        "executive", "3:4", "x2", "office", "casual", "l’équipe", "studio-gray"]
