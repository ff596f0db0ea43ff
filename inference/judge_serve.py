"""A minimal OpenAI-compatible chat server for a local HF model dir (stdlib http.server, CPU or GPU).

    python -m inference.judge_serve --model artifacts/tiny-llama --port 8000
    python -m inference.judge run ... --judge.base_url http://127.0.0.1:8000/v1 --judge.model tiny-llama

Serves POST /v1/chat/completions (greedy; `messages` in, `choices[0].message.content` and `usage` out) and
GET /v1/models, so the judge's HTTP path can be run end to end with nothing but this repository. For real judges
use vLLM, SGLang, `transformers serve` or llama.cpp: they speak the same protocol, faster. Binds to 127.0.0.1
unless told otherwise; with `--api_key_env NAME` it requires the key held by that variable.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from common.cli import UserError, cli
from common.config import load_config
from inference.judging.backends import ChatReply, Messages


class ServeError(Exception):
    """Raised by a reply function to answer with an HTTP error status (429, 500, ...)."""

    def __init__(self, status: int, message: str = "", retry_after: float | None = None):
        super().__init__(message or f"HTTP {status}")
        self.status, self.retry_after = status, retry_after


class ChatServer:
    """Serve `complete(messages) -> ChatReply` as /v1/chat/completions on host:port (port 0 = a free one)."""

    def __init__(self, complete: Callable[[Messages], ChatReply], model_name: str, host: str = "127.0.0.1",
                 port: int = 0, api_key: str = ""):
        handler = _make_handler(complete, model_name, api_key)
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> str:
        """Serve in a background thread; returns the base URL."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _make_handler(complete: Callable[[Messages], ChatReply], model_name: str, api_key: str
                  ) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # one line per request on stderr is noise for a judge run
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

        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/v1/models":
                self._send(200, {"object": "list", "data": [{"id": model_name, "object": "model"}]})
            else:
                self._send(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            if api_key and self.headers.get("Authorization", "") != f"Bearer {api_key}":
                self._send(401, {"error": {"message": "missing or wrong API key"}})
                return
            try:
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                messages = request["messages"]
                if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
                    raise ValueError("messages must be a list of objects")
            except (ValueError, KeyError, TypeError) as err:
                self._send(400, {"error": {"message": f"bad request: {err}"}})
                return
            try:
                reply = complete(messages)
            except ServeError as err:
                headers = {"Retry-After": str(err.retry_after)} if err.retry_after is not None else None
                self._send(err.status, {"error": {"message": str(err)}}, headers)
                return
            except Exception as err:  # the server stays up; the client sees a 500 and may retry
                self._send(500, {"error": {"message": f"{type(err).__name__}: {err}"}})
                return
            self._send(200, {
                "id": f"chatcmpl-{time.time_ns()}", "object": "chat.completion", "created": int(time.time()),
                "model": request.get("model", model_name),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.text},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens,
                          "total_tokens": reply.prompt_tokens + reply.completion_tokens}})

    return Handler


@dataclass
class ServeConfig:
    model: str = field(default="artifacts/tiny-llama", metadata={"help": "local HF model dir"})
    served_name: str = field(default="", metadata={"help": "model name clients use ('' = the dir's name)"})
    host: str = field(default="127.0.0.1", metadata={"help": "address to bind"})
    port: int = field(default=8000, metadata={"help": "port (0 = a free one)"})
    max_new_tokens: int = field(default=512, metadata={"help": "longest reply"})
    device: str = field(default="auto", metadata={"help": "auto | cpu | cuda"})
    dtype: str = field(default="auto", metadata={"help": "auto | float32 | bfloat16 | float16"})
    trust_remote_code: bool = field(default=False, metadata={"help": "allow model code from the model dir"})
    api_key_env: str = field(default="", metadata={
        "help": "require the key held by this environment variable ('' = no key)"})


def main(argv: list[str] | None = None) -> None:
    from inference.judging.backends import LocalHFChatBackend

    cfg = load_config(ServeConfig, argv, description=__doc__, prog="python -m inference.judge_serve")
    api_key = os.environ.get(cfg.api_key_env, "") if cfg.api_key_env else ""
    if cfg.api_key_env and not api_key:
        raise UserError(f"key 'api_key_env': environment variable {cfg.api_key_env} is not set")
    if cfg.max_new_tokens < 1:
        raise UserError(f"key 'max_new_tokens': must be >= 1, got {cfg.max_new_tokens}")
    backend = LocalHFChatBackend(cfg.model, cfg.max_new_tokens, cfg.device, cfg.dtype, cfg.trust_remote_code)
    server = ChatServer(backend.complete, cfg.served_name or Path(cfg.model).name, cfg.host, cfg.port, api_key)
    print(f"serving {cfg.model} at {server.base_url} (Ctrl-C stops)", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


if __name__ == "__main__":
    sys.exit(cli(main, "python -m inference.judge_serve"))
