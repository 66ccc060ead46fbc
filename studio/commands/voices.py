"""`ai-anchor-studio voices`: list, add, show, remove voice profiles, and choose the default one."""

from __future__ import annotations

import argparse
import json

from studio.commands.common import EXIT_BAD_INPUT, EXIT_FAILED, fail
from studio.config import Settings


def add_parser(sub: argparse._SubParsersAction) -> None:
    voices = sub.add_parser("voices", help="manage the anchor's voice profiles")
    actions = voices.add_subparsers(dest="voices_action", metavar="ACTION")
    listing = actions.add_parser("list", help="every voice profile (bundled and your own)")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    add = actions.add_parser("add", help="create a voice profile from a 3–30 s reference clip")
    add.add_argument("name", help="profile name (at most 64 characters, no path separators)")
    add.add_argument("--audio", required=True, help="reference clip (WAV/FLAC/OGG/MP3, 3–30 s of speech)")
    add.add_argument("--transcript", help="the words spoken in the clip (default: transcribe it)")
    add.add_argument("--language", default="en", help="language code of the voice (default en)")
    add.add_argument("--anchor-name", help="the anchor's on-air name (default: the profile name)")
    add.add_argument("--persona", help="the anchor's style, as instructions to the chat model")
    add.add_argument("--show-notes", default="", help="notes about the show for the chat model")
    add.add_argument("--embedded-voice", default="en_US-joe-medium", help="Piper voice when cloning is off")
    add.add_argument("--temperature", type=float, default=0.7, help="synthesis temperature (default 0.7)")
    add.add_argument("--seed", type=int, default=1234, help="synthesis seed (default 1234)")
    add.add_argument("--default", action="store_true", help="also make it the default voice")
    show = actions.add_parser("show", help="one profile in full")
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    remove = actions.add_parser("remove", help="delete one of your profiles (bundled ones cannot be)")
    remove.add_argument("name")
    default = actions.add_parser("default", help="show or set the voice used when none is chosen")
    default.add_argument("name", nargs="?", help="profile to make the default")
    default.add_argument("--clear", action="store_true", help="forget the default (use the first voice)")
    voices.set_defaults(voices_parser=voices)


def run(settings: Settings, args: argparse.Namespace) -> int:
    from studio.voices.profile import VoiceProfileError
    from studio.voices.store import VoiceProfileStore

    action = getattr(args, "voices_action", None)
    if action is None:
        args.voices_parser.print_help()
        return EXIT_BAD_INPUT
    store = VoiceProfileStore()
    try:
        if action == "list":
            return _list(store, args.json)
        if action == "add":
            return _add(settings, store, args)
        if action == "show":
            return _show(store, args.name, args.json)
        if action == "remove":
            store.delete(args.name)
            print(f"removed voice {args.name!r}")
            return 0
        return _default(store, args)
    except VoiceProfileError as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    except OSError as exc:
        return fail(f"cannot write to {store.user_dir}: {exc.strerror or exc}", EXIT_FAILED)


def _summary(profile, default: str | None) -> dict:
    from studio.voices.reference import reference_seconds

    return {
        "name": profile.name,
        "anchor_name": profile.anchor_name,
        "language": profile.language,
        "read_only": profile.read_only,
        "reference_seconds": round(reference_seconds(profile.reference_audio), 2),
        "default": profile.name == default,
    }


def _list(store, as_json: bool) -> int:
    default = store.default_name()
    rows = [_summary(profile, default) for profile in store.profiles()]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    width = max([len(row["name"]) for row in rows] + [4])
    print(f"{'NAME':<{width}}  {'ANCHOR':<12} LANG  REF(s)  NOTES")
    for row in rows:
        notes = ", ".join(n for n, on in (("bundled", row["read_only"]), ("default", row["default"])) if on)
        print(
            f"{row['name']:<{width}}  {row['anchor_name']:<12} {row['language']:<5} "
            f"{row['reference_seconds']:>6.1f}  {notes}"
        )
    return 0


def _add(settings: Settings, store, args: argparse.Namespace) -> int:
    from studio.voices.profile import DEFAULT_PERSONA, SynthesisSettings
    from studio.voices.reference import prepare_reference
    from studio.voices.store import validate_language

    name = store.check_new_name(args.name)  # before the slow part: refuse a bad name at once
    language = validate_language(args.language)
    clip = prepare_reference(args.audio)
    transcript = args.transcript
    if transcript is None:
        from studio.backends.registry import BackendLoadError

        try:
            transcript = _transcribe(settings, clip.samples)
        except BackendLoadError as exc:
            return fail(f"{exc}; pass --transcript instead", EXIT_FAILED)
        if not transcript.strip():
            return fail(f"{args.audio}: no words recognised in the clip; pass --transcript", EXIT_BAD_INPUT)
    profile = store.create(
        name,
        clip,
        transcript,
        language=language,
        anchor_name=args.anchor_name,
        persona=args.persona or DEFAULT_PERSONA,
        show_notes=args.show_notes,
        embedded_voice=args.embedded_voice,
        synthesis=SynthesisSettings(temperature=args.temperature, seed=args.seed),
    )
    if args.default:
        store.set_default(profile.name)
    print(f"added voice {profile.name!r} in {profile.folder}")
    print(f"reference: {clip.describe()}")
    print(f"transcript: {profile.reference_transcript}")
    return 0


def _transcribe(settings: Settings, samples_24k) -> str:
    """The clip's words from the active stack's speech-to-text (only that backend is built)."""
    import asyncio

    import numpy as np
    import soxr

    from studio.backends.registry import backend_names, create_backend
    from studio.voices.reference import REFERENCE_RATE

    audio = soxr.resample(samples_24k, REFERENCE_RATE, 16_000).astype(np.float32)

    async def transcribe() -> str:
        stt = create_backend("stt", backend_names(settings)["stt"], settings)
        try:
            return (await stt.transcribe(audio)).text.strip()
        finally:
            await stt.aclose()

    return asyncio.run(transcribe())


def _show(store, name: str, as_json: bool) -> int:
    profile = store.get(name)
    data = _summary(profile, store.default_name())
    data |= {
        "folder": str(profile.folder) if profile.folder else None,
        "reference_audio": str(profile.reference_audio) if profile.reference_audio else None,
        "transcript": profile.reference_transcript,
        "embedded_voice": profile.embedded_voice,
        "temperature": profile.synthesis.temperature,
        "seed": profile.synthesis.seed,
        "speaking_rate": profile.synthesis.speaking_rate,
        "show_notes": profile.show_notes,
        "system_prompt": profile.system_prompt(),
    }
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
        return 0
    for key, value in data.items():
        print(f"{key}: {value}")
    return 0


def _default(store, args: argparse.Namespace) -> int:
    if args.clear:
        store.set_default(None)
        print("default voice cleared")
    elif args.name:
        print(f"default voice: {store.set_default(args.name)}")
    else:
        print(store.default_name() or store.get(None).name)
    return 0
