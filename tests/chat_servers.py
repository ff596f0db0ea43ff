"""Chat servers for the judge's HTTP tests: a scriptable OpenAI-compatible stub that can answer with any error
(429 with Retry-After, 5xx, 401), and `transformers serve` started as a real process on a local model dir.

The stub is test equipment: it lets a test choose each reply and each failure, which a real server cannot do.
The judge itself is served by `transformers serve`, vLLM or SGLang (docs/judge.md)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from inference.judging.backends import ChatReply, Messages


class StubError(Exception):
    """Raised by a reply function to answer with an HTTP error status (429, 500, ...)."""

    def __init__(self, status: int, message: str = "", retry_after: float | None = None):
        super().__init__(message or f"HTTP {status}")
        self.status, self.retry_after = status, retry_after


class ChatStub:
    """Serve `complete(messages) -> ChatReply` as /v1/chat/completions on 127.0.0.1, a free port."""

    def __init__(self, complete: Callable[[Messages], ChatReply], model_name: str, api_key: str = ""):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(complete, model_name, api_key))
        self.httpd.daemon_threads = True

    def start(self) -> str:
        """Serve in a background thread; returns the base URL."""
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _make_handler(complete: Callable[[Messages], ChatReply], model_name: str, api_key: str
                  ) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # one line per request on stderr is noise in a test's output
            pass

        def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            if api_key and self.headers.get("Authorization", "") != f"Bearer {api_key}":
                self._send(401, {"error": {"message": "missing or wrong API key"}})
                return
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            try:
                reply = complete(request["messages"])
            except StubError as err:
                headers = {"Retry-After": str(err.retry_after)} if err.retry_after is not None else None
                self._send(err.status, {"error": {"message": str(err)}}, headers)
                return
            self._send(200, {
                "id": f"chatcmpl-{time.time_ns()}", "object": "chat.completion", "created": int(time.time()),
                "model": request.get("model", model_name),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.text},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens,
                          "total_tokens": reply.prompt_tokens + reply.completion_tokens}})

    return Handler


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def transformers_serve(model_dir: Path, log: Path, start_timeout_s: float = 120.0) -> Iterator[str]:
    """`transformers serve` on `model_dir` (CPU, 127.0.0.1, a free port) as a child process; yields the base URL.
    Clients name the model by the path given here. Offline: the model dir is local and HF_HUB_OFFLINE is set."""
    port = free_port()
    cli = Path(sys.executable).parent / "transformers"  # the venv's console script (the package has no __main__)
    command = [str(cli), "serve", str(model_dir), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_until_up(proc, f"http://127.0.0.1:{port}/health", log, start_timeout_s)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_until_up(proc: subprocess.Popen, health_url: str, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"transformers serve exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(health_url, timeout=1):
                return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"transformers serve did not answer within {timeout_s:.0f} s:\n{log.read_text(errors='replace')}")
