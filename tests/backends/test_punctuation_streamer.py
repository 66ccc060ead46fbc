"""The chat model's streamer sends a comma or full stop with its own token, not with the next word.

Real SmolLM2 tokenizer, real transformers streamer side by side: token by token, what each has sent.
"""

from __future__ import annotations

import queue

import torch

from studio.backends.punctuation_streamer import punctuation_streamer, sendable_now

TEXT = "Sure, the weather is fine. Rain <br> later, maybe!"


def _sent_after_each_token(streamer, ids: list[int]) -> list[str]:
    """The text the streamer had sent once each token was put (the prompt put and skipped first)."""
    streamer.put(torch.tensor([[1, 2, 3]]))  # the prompt
    sent, so_far = [], ""
    for token in ids:
        streamer.put(torch.tensor([token]))
        while True:
            try:
                so_far += streamer.text_queue.get_nowait()
            except queue.Empty:
                break
        sent.append(so_far)
    return sent


def test_punctuation_goes_out_with_its_token_and_markup_still_waits(smollm) -> None:
    from transformers import TextIteratorStreamer

    tokenizer = smollm._tokenizer
    ids = tokenizer(TEXT, add_special_tokens=False)["input_ids"]
    ours = _sent_after_each_token(punctuation_streamer(tokenizer, skip_prompt=True), ids)
    theirs = _sent_after_each_token(TextIteratorStreamer(tokenizer, skip_prompt=True), ids)
    comma = next(i for i in range(len(ids)) if tokenizer.decode(ids[: i + 1]).endswith(","))
    stop = next(i for i in range(len(ids)) if tokenizer.decode(ids[: i + 1]).endswith("."))
    assert ours[comma] == "Sure," and theirs[comma] == "Sure"  # transformers waits for " the"
    assert ours[stop].endswith("fine.") and not theirs[stop].endswith(".")
    opening = next(i for i in range(len(ids)) if tokenizer.decode(ids[: i + 1]).endswith("<"))
    assert not ours[opening].endswith("<")  # markup may follow: held, as transformers does
    assert ours[-1] == TEXT and theirs[-1] != TEXT  # the final "!" too, without end()


def test_only_words_spaces_and_punctuation_are_sent_early() -> None:
    assert sendable_now(", ") and sendable_now("fine.") and sendable_now("¿Qué?")
    assert not any(sendable_now(held) for held in ("", "<", "\ufffd", "$"))
