"""Clause splitting decides when the first audio can start: check it on realistic token streams."""

from studio.engine.clauses import ClauseSplitter, clean_for_speech


def split_stream(text: str, piece_len: int = 3) -> list[str]:
    splitter = ClauseSplitter()
    out: list[str] = []
    for i in range(0, len(text), piece_len):
        out += splitter.feed(text[i : i + piece_len])
    return out + splitter.flush()


def test_first_clause_cuts_at_comma_then_sentences():
    text = "Well, good evening to you all, and thanks for asking. The sky is clear tonight! Stay tuned."
    assert split_stream(text) == [
        "Well, good evening to you all,",
        "and thanks for asking.",
        "The sky is clear tonight!",
        "Stay tuned.",
    ]


def test_abbreviations_and_decimals_do_not_end_sentences():
    text = "Dr. Smith said it is 3.5 degrees in St. Louis today. Really."
    assert split_stream(text, 1) == ["Dr. Smith said it is 3.5 degrees in St. Louis today.", "Really."]


def test_text_without_punctuation_comes_out_on_flush_or_length():
    splitter = ClauseSplitter(max_clause_chars=40)
    long_text = "one two three four five six seven eight nine ten eleven twelve thirteen "
    clauses = splitter.feed(long_text)
    assert clauses and all(len(c) <= 40 for c in clauses)
    assert " ".join(clauses + splitter.flush()) == long_text.strip()


def test_markdown_is_not_spoken():
    assert clean_for_speech("**Breaking** news:  `now`  #1") == "Breaking news: now 1"


def test_history_is_bounded_by_turns_and_characters():
    from studio.engine.conversation import Conversation

    talk = Conversation("persona", max_turns=3, max_chars=120)
    for i in range(5):
        talk.record_turn(f"question {i}", f"answer {i} " + "x" * 30, interrupted=False)
    messages = talk.messages_for("now")
    assert messages[0].content == "persona" and messages[-1].content == "now"
    history = messages[1:-1]
    assert history[0].role == "user" and sum(len(m.content) for m in history) <= 120
    assert history[-1].content.startswith("answer 4")


def test_first_clause_word_limit_starts_speech_without_punctuation():
    text = "The city council met for hours last night and voted on the new budget plan. Then lunch."
    splitter = ClauseSplitter(first_clause_max_words=6)
    out: list[str] = []
    for word in text.split(" "):
        out += splitter.feed(word + " ")
    out += splitter.flush()
    assert out[0] == "The city council met for hours"
    assert out[1:] == ["last night and voted on the new budget plan.", "Then lunch."]


def test_control_characters_and_broken_unicode_are_not_spoken():
    assert clean_for_speech("Hello\x00 there\x1b,\ufffd\ud800 friend\x7f") == "Hello there, friend"
