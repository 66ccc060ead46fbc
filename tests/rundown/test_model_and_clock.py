"""The rundown file, the segment clock and the anchor's brief, with a clock moved by hand."""

from __future__ import annotations

import pytest

from studio.rundown import RundownError, SegmentClock, load_rundown, parse_rundown, segment_brief
from studio.rundown.prompt import HAND_BACK_CUE, WRAP_UP_CUE
from tests.rundown.helpers import ISSUE_EXAMPLE, THREE, FakeClock


def test_the_issue_example_loads_from_a_file(tmp_path):
    path = tmp_path / "show.toml"
    path.write_text(ISSUE_EXAMPLE, encoding="utf-8")
    rundown = load_rundown(path)
    (segment,) = rundown.segments
    assert (segment.title, segment.minutes, segment.notes) == ("Headlines", 4, "Open with the storm warning.")
    assert segment.voice is None and segment.scene is None and rundown.source == str(path)


def test_optional_fields_load():
    weather = parse_rundown(THREE).segments[1]
    assert (weather.persona, weather.voice, weather.scene) == ("Calm and precise.", "Max", "Weather map")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            ISSUE_EXAMPLE + '[[segment]]\ntitle = "Weather"\nminutes = -1\n',
            ['segment 2 ("Weather")', "minutes = -1"],
        ),
        (ISSUE_EXAMPLE + "[[segment]]\nminutes = 2\n", ["segment 2:", "field 'title' is missing", "add it"]),
        (ISSUE_EXAMPLE + '[[segment]]\ntitle = "X"\nminutes = 1\nnote = "typo"\n', ["unknown field 'note'"]),
        ('title = "Headlines"\n', ["no [[segment]] tables", "[[segment]]\ntitle ="]),
        ('[[segment]]\ntitle = "Headlines\n', ["is not valid TOML", "line 2"]),
    ],
)
def test_a_bad_file_names_the_segment_the_field_and_the_fix(text, expected):
    with pytest.raises(RundownError) as caught:
        parse_rundown(text, "show.toml")
    message = str(caught.value)
    assert message.startswith("show.toml")
    for part in expected:
        assert part in message


def test_an_unreadable_file_is_named(tmp_path):
    with pytest.raises(RundownError, match=r"cannot read rundown .*missing\.toml"):
        load_rundown(tmp_path / "missing.toml")


def test_the_clock_runs_segment_by_segment_with_next_and_back():
    clock = FakeClock()
    rundown = SegmentClock(parse_rundown(THREE), clock)
    assert not rundown.status().started and rundown.back() is None
    first = rundown.next()
    assert (first.index, first.title, first.reason, first.next_title) == (0, "Headlines", "start", "Weather")
    clock.now += 90
    status = rundown.status()
    assert (status.elapsed_s, status.remaining_s, status.over_time) == (90, 150, False)
    second = rundown.next()
    assert (second.title, second.previous, second.previous_elapsed_s) == ("Weather", "Headlines", 90)
    assert (second.voice, second.scene) == ("Max", "Weather map")
    clock.now += 200
    assert rundown.status().over_time and rundown.status().remaining_s == -20
    back = rundown.back()
    assert (back.title, back.reason, rundown.status().elapsed_s) == ("Headlines", "back", 0)
    rundown.next(), rundown.next()
    end = rundown.next()
    assert (end.index, end.title, end.reason, end.previous) == (-1, "", "end", "Sports")
    assert rundown.status().ended and rundown.next() is None
    assert rundown.back().title == "Sports"


def test_the_brief_carries_segment_notes_time_left_and_the_cues():
    clock = FakeClock()
    rundown = SegmentClock(parse_rundown(THREE), clock)
    assert segment_brief(rundown.status()) == ""
    rundown.next()
    clock.now += 30
    brief = segment_brief(rundown.status(), wrap_up_s=60)
    assert 'segment 1 of 3, "Headlines"' in brief and "Open with the storm warning." in brief
    assert "Time left in this segment: 3 min 30 s." in brief and WRAP_UP_CUE not in brief
    assert 'Next segment: "Weather"' in brief
    clock.now += 181  # 29 s left
    brief = segment_brief(rundown.status(), wrap_up_s=60)
    assert "Time left in this segment: 29 s." in brief and WRAP_UP_CUE in brief and '"Weather"' in brief
    assert WRAP_UP_CUE not in segment_brief(rundown.status(), wrap_up_s=20)
    clock.now += 34
    brief = segment_brief(rundown.status(), wrap_up_s=60)
    assert f"{HAND_BACK_CUE} by 5 s: answer in one sentence and hand back to the host." in brief
    assert "Time left" not in brief
    rundown.next()
    assert "In this segment: Calm and precise." in segment_brief(rundown.status())
    rundown.next()
    clock.now += 100
    assert "close the show" in segment_brief(rundown.status(), wrap_up_s=60)  # the last segment
