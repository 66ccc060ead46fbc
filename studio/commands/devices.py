"""`ai-anchor-studio devices`: the audio inputs and outputs by name, virtual ones marked."""

from __future__ import annotations

import argparse
import json

from studio.commands.common import EXIT_FAILED, fail
from studio.config import Settings


def add_parser(sub: argparse._SubParsersAction) -> None:
    devices = sub.add_parser("devices", help="list audio inputs/outputs by name (virtual ones marked)")
    devices.add_argument("--json", action="store_true", help="print one JSON object")
    devices.add_argument(
        "--create-sink",
        action="store_true",
        help="create the AI_Anchor_Out virtual sink (PulseAudio/PipeWire)",
    )
    devices.add_argument("--remove-sink", action="store_true", help="remove the AI_Anchor_Out virtual sink")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from studio.audio.devices import AudioDeviceError, list_devices
    from studio.audio.pulse import PulseControl, PulseUnavailable, obs_instruction

    pulse = PulseControl()
    try:
        if args.create_sink or args.remove_sink:
            changed = pulse.create_anchor_sink() if args.create_sink else pulse.remove_anchor_sink()
            if not args.json:
                print(
                    f"AI_Anchor_Out sink {'created' if args.create_sink else 'removed'}"
                    if changed
                    else "unchanged"
                )
        devices = list_devices(pulse)
    except (AudioDeviceError, PulseUnavailable) as exc:
        return fail(str(exc), EXIT_FAILED)
    finally:
        pulse.close()
    if args.json:
        print(json.dumps({"devices": [d.as_dict() for d in devices], "obs": obs_instruction()}))
        return 0
    for kind in ("output", "input"):
        print(f"{kind}s:")
        for device in (d for d in devices if d.kind == kind):
            marks = " ".join(
                m for m, on in (("[default]", device.default), ("[virtual]", device.is_virtual)) if on
            )
            label = (
                f" — {device.description}" if device.description and device.description != device.name else ""
            )
            print(f"  {device.name}{label}  {device.channels} ch {device.rate} Hz {marks}".rstrip())
    print(obs_instruction())
    return 0
