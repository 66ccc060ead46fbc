"""The chat server's prompt cache as `bench --gpu-sim` models it, and the request layout that keeps
the cache useful: the persona and the history are the same prefix from one turn to the next, and
only what changes every turn (the rundown's time left) comes after them."""

from __future__ import annotations

import asyncio

from studio.backends.contracts import ChatMessage, ChatOptions
from studio.bench.prompt_cache import CHARS_PER_TOKEN, PrefillModel, PromptCachedChat, render
from studio.engine.conversation import Conversation

MODEL = PrefillModel(prefill_tokens_per_s=1000.0, decode_s=0.01, overhead_s=0.02)


def ask(chat: PromptCachedChat, messages: list[ChatMessage]) -> str:
    """One request streamed to its end (the cache then holds it and its reply)."""

    async def run() -> str:
        return "".join([piece async for piece in chat.stream_reply(messages, ChatOptions())])

    return asyncio.run(run())


def test_a_cold_prompt_is_prefilled_whole_and_a_repeated_one_not_at_all() -> None:
    chat = PromptCachedChat("Fine thanks.", MODEL, per_token=0.0)
    messages = [ChatMessage("system", "p" * 400), ChatMessage("user", "How are you?")]
    ask(chat, messages)
    ask(chat, messages)
    assert chat.prefilled_tokens == [round(len(render(messages)) / CHARS_PER_TOKEN), 0]
    assert chat.first_token_s[1] == MODEL.overhead_s + MODEL.decode_s


def test_the_next_turn_prefills_only_its_new_line_when_the_history_repeats_the_reply() -> None:
    chat, talk = PromptCachedChat("Sunny all day.", MODEL, per_token=0.0), Conversation("p" * 2000)
    reply = ask(chat, talk.messages_for("Weather?"))
    talk.record_turn("Weather?", reply, interrupted=False)
    ask(chat, talk.messages_for("And tomorrow?"))
    assert chat.prefilled_tokens[0] > 500 and chat.prefilled_tokens[1] < 15


def test_the_rundown_brief_comes_after_the_history_so_the_prefix_survives_it() -> None:
    briefs = iter(["Segment 1, 3:00 left.", "Segment 1, 2:10 left."])
    chat = PromptCachedChat("Here is more.", MODEL, per_token=0.0)
    talk = Conversation("p" * 2000, context=lambda: next(briefs))
    first = talk.messages_for("Go on.")
    reply = ask(chat, first)
    talk.record_turn("Go on.", reply, interrupted=False)
    second = talk.messages_for("And then?")
    assert first[0] == second[0] == ChatMessage("system", "p" * 2000)  # the persona never changes
    assert [m.role for m in second].count("system") == 1  # one system message: every template takes it
    assert second[-1].content == "[Producer's note, not said aloud: Segment 1, 2:10 left.]\n\nAnd then?"
    assert second[-3].content == "Go on."  # the history keeps the line as said
    ask(chat, second)
    cold, warm = chat.prefilled_tokens
    assert cold > 500 and warm < cold / 10  # the last exchange, the brief and the new line: not the persona


def test_the_history_window_drops_its_older_half_at_once_so_the_prefix_holds_between_drops() -> None:
    talk = Conversation("persona", max_turns=4, max_chars=10_000)
    sent = []  # per request: the oldest history line sent, and how many turns of history
    for turn in range(12):
        history = talk.messages_for(f"question {turn}")[1:-1]
        sent.append((history[0].content if history else None, len(history) // 2))
        talk.record_turn(f"question {turn}", f"answer {turn}", interrupted=False)
    # the window grows to 4 turns, then drops to the last 2 at once: three requests share each prefix
    assert sent == [
        (None, 0),
        *[("question 0", n) for n in (1, 2, 3, 4)],
        *[("question 3", n) for n in (2, 3, 4)],
        *[("question 6", n) for n in (2, 3, 4)],
        ("question 9", 2),
    ]


def test_a_long_last_exchange_is_still_sent_when_it_fits_the_full_bounds() -> None:
    talk = Conversation("persona", max_turns=4, max_chars=100)
    talk.record_turn("q" * 10, "a" * 60, interrupted=False)  # 70 > half the characters, < all of them
    talk.record_turn("q" * 10, "a" * 60, interrupted=False)  # now over the bound: a drop
    history = talk.messages_for("next")[1:-1]
    assert [len(m.content) for m in history] == [10, 60]
