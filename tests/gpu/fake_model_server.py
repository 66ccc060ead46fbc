"""A stand-in model-server process for supervisor tests: answers /health, or dies of "CUDA OOM".

Usage: python fake_model_server.py PORT STAGE JOURNAL [--cache-tokens N --oom-above M]
Appends STAGE to JOURNAL when it starts (so tests see the start order).
"""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


def main() -> int:
    port, stage, journal = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    options = dict(zip(sys.argv[4::2], sys.argv[5::2], strict=False))
    with open(journal, "a") as handle:
        handle.write(f"{stage} {options.get('--cache-tokens', '')}\n")
    if int(options.get("--cache-tokens", 0)) > int(options.get("--oom-above", 1 << 30)):
        print("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB", flush=True)
        return 1

    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/health" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    HTTPServer(("127.0.0.1", port), Health).serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
