"""A real local HTTP server that speaks Ollama's documented API (`/api/chat` NDJSON, tags, ps, show, pull).

Tests point the real `ollama` client at it. In paced mode each streamed line waits for `release`,
so a test can prove that pieces arrive one by one; the server notices when the client hangs up.
Threading: the server runs in its own thread (one more per connection); tests call `release`
and wait on its events from theirs. No sleeping: the handler blocks in `select` on the client
socket and a wake-up socket.
"""

from __future__ import annotations

import json
import select
import socket
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _tagged(name: str) -> str:
    """Ollama's own rule: a name without a tag means `:latest`."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class _QuietOnHangUps(ThreadingHTTPServer):
    """A client that hangs up (a reset, a broken pipe) is normal for a server, not an error to print:
    socketserver would print its traceback to this process's stderr, where tests read the studio's
    own messages. Any other handler error is still printed."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class FakeOllama:
    """Serves `models` on /api/tags and streams `reply` (one line per piece) on /api/chat."""

    def __init__(self, models: tuple[str, ...] = ("llama3.2:latest",), reply: tuple[str, ...] = ()):
        self.models = list(models)
        self.reply = list(reply) or ["Good", " evening", ",", " everyone", "."]
        self.next_replies: list[list[str]] = []  # one per coming chat request, before `reply` again
        self.paced = False
        self.chat_requests: list[dict[str, Any]] = []
        self.pieces_sent = 0  # reply pieces handed to the socket (paced: one per `release`)
        self.client_disconnected = threading.Event()
        self.pull_bytes = 3_000_000  # /api/pull reports this layer size in three steps
        self.pull_failures: set[str] = set()  # models whose pull ends with an error line
        self.reply_finished = threading.Event()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._server = _QuietOnHangUps(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how fast `shutdown` is noticed
            name="fake-ollama",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeOllama:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._wake_reader.close()
        self._wake_writer.close()

    def release(self, lines: int = 1) -> None:
        """Paced mode: let the chat stream send this many more lines."""
        self._wake_writer.sendall(b"x" * lines)

    def _await_permit(self, client: socket.socket) -> bool:
        """Paced mode: wait for `release` (True) or for the client to hang up (False)."""
        while True:
            ready, _, _ = select.select([self._wake_reader, client], [], [], 30.0)
            if not ready:
                return False  # a test that forgot to release: give up rather than hang
            if client in ready and client.recv(1, socket.MSG_PEEK) == b"":
                return False
            if self._wake_reader in ready:
                self._wake_reader.recv(1)
                return True

    def _tags(self) -> dict[str, Any]:
        return {
            "models": [
                {
                    "name": name,
                    "model": name,
                    "modified_at": _now(),
                    "size": 14_300_000_000,
                    "digest": "0" * 64,
                    "details": {"format": "gguf", "family": "llama", "quantization_level": "Q4"},
                }
                for name in self.models
            ]
        }

    def _ps(self) -> dict[str, Any]:
        """Every pulled model counts as loaded, fully in VRAM (as after keep_alive=-1)."""
        return {
            "models": [
                {
                    "name": n,
                    "model": n,
                    "size": 15_000_000_000,
                    "size_vram": 15_000_000_000,
                    "expires_at": _now(),
                }
                for n in self.models
            ]
        }

    def _show(self, model: str) -> tuple[int, dict[str, Any]]:
        """(status, body) of /api/show: a pulled model's details, or 404 as Ollama answers."""
        if _tagged(model) not in {_tagged(name) for name in self.models}:
            return 404, {"error": f"model '{model}' not found"}
        details = {"format": "gguf", "family": "llama", "quantization_level": "Q4"}
        return 200, {"modelfile": "", "parameters": "", "template": "", "details": details, "model_info": {}}

    def _pull_lines(self, model: str) -> list[dict[str, Any]]:
        if model in self.pull_failures:
            return [
                {"status": "pulling manifest"},
                {"error": f"pull model manifest: file does not exist: {model}"},
            ]
        step = self.pull_bytes // 3
        layer = [
            {
                "status": "pulling 0123abcd",
                "digest": "sha256:0123abcd",
                "total": self.pull_bytes,
                "completed": done,
            }
            for done in (step, 2 * step, self.pull_bytes)
        ]
        tail = [{"status": "verifying sha256 digest"}, {"status": "writing manifest"}, {"status": "success"}]
        return [{"status": "pulling manifest"}, *layer, *tail]

    def _chat_lines(self, model: str) -> list[dict[str, Any]]:
        pieces = self.next_replies.pop(0) if self.next_replies else self.reply
        lines: list[dict[str, Any]] = [
            {
                "model": model,
                "created_at": _now(),
                "message": {"role": "assistant", "content": piece},
                "done": False,
            }
            for piece in pieces
        ]
        lines.append(
            {
                "model": model,
                "created_at": _now(),
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
                "total_duration": 5_000_000,
                "load_duration": 1_000_000,
                "prompt_eval_count": 12,
                "prompt_eval_duration": 1_000_000,
                "eval_count": len(pieces),
                "eval_duration": 3_000_000,
            }
        )
        return lines

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                return None

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/api/tags":
                    self._json(200, fake._tags())
                elif self.path == "/api/ps":
                    self._json(200, fake._ps())
                elif self.path == "/api/version":
                    self._json(200, {"version": "0.6.0"})
                else:
                    self._json(404, {"error": "not found"})

            def _stream_pull(self, model: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for line in fake._pull_lines(model):
                    if line.get("status") == "success" and _tagged(model) not in map(_tagged, fake.models):
                        fake.models.append(model)  # Ollama writes the manifest before "success"
                    data = json.dumps(line).encode() + b"\n"
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                if self.path == "/api/pull":
                    self._stream_pull(str(body.get("model") or body.get("name") or ""))
                    return
                if self.path == "/api/show":
                    self._json(*fake._show(str(body.get("model") or "")))
                    return
                if self.path != "/api/chat":
                    self._json(404, {"error": "not found"})
                    return
                fake.chat_requests.append(body)
                model = body.get("model", "")
                if _tagged(model) not in {_tagged(name) for name in fake.models}:
                    self._json(404, {"error": f"model '{model}' not found"})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for line in fake._chat_lines(model):
                        if fake.paced and not fake._await_permit(self.connection):
                            fake.client_disconnected.set()
                            return
                        if not line["done"]:
                            # counted before the write: a client that has read piece n must see
                            # n here (counted after it, the test thread could read it first)
                            fake.pieces_sent += 1
                        data = json.dumps(line).encode() + b"\n"
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                    fake.reply_finished.set()
                except (BrokenPipeError, ConnectionResetError):
                    fake.client_disconnected.set()

        return Handler
