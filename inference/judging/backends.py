"""Chat backends of the LLM judge: `complete(messages) -> ChatReply`, over HTTP or with a local model dir.

`HTTPChatBackend` speaks the OpenAI chat-completions protocol (POST {base_url}/chat/completions), which vLLM,
SGLang, `transformers serve`, llama.cpp's server and hosted APIs all serve.
The API key is read from the environment variable the config names (never from the config itself, and never
written anywhere). 429, 408 and 5xx replies, timeouts and refused connections are retried with exponential
backoff and jitter (a Retry-After header wins); other 4xx replies are configuration errors and fail at once.

`LocalHFChatBackend` runs a local HF model dir with transformers (greedy, the model's chat template when it has
one). It is thread safe (one generation at a time), so the judge's thread pool can share it.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from common.config import ConfigError

Messages = list[dict[str, str]]


@dataclass(frozen=True)
class ChatReply:
    text: str
    prompt_tokens: int
    completion_tokens: int


class ChatBackend(Protocol):
    def identity(self) -> dict:
        """What makes two replies interchangeable (judge model and generation settings): part of the cache key."""
        ...

    def complete(self, messages: Messages) -> ChatReply: ...


class BackendConfigError(ConfigError):
    """A judge backend that cannot be set up as configured (no URL, no model name, the key's variable unset)."""


class ChatCallError(RuntimeError):
    """A call that failed for good: a non-retryable status, a malformed reply, or retries used up."""


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    backoff_s: float = 1.0  # first wait; doubles per retry
    max_backoff_s: float = 60.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_backoff_s)
        base = min(self.max_backoff_s, self.backoff_s * 2 ** attempt)
        return base * (0.5 + 0.5 * random.random())  # jitter: parallel callers do not retry in lockstep


class HTTPChatBackend:
    """An OpenAI-compatible /v1/chat/completions endpoint."""

    def __init__(self, base_url: str, model: str, api_key_env: str = "", temperature: float = 0.0,
                 max_tokens: int = 1024, timeout_s: float = 120.0, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        if not base_url:
            raise BackendConfigError("judge.base_url is empty (e.g. http://127.0.0.1:8000/v1)")
        if not model:
            raise BackendConfigError("judge.model is empty: name the model the endpoint serves")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.temperature, self.max_tokens, self.timeout_s = model, temperature, max_tokens, timeout_s
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._headers = {"Content-Type": "application/json"}
        if api_key_env:
            key = os.environ.get(api_key_env, "")
            if not key:
                raise BackendConfigError(f"environment variable {api_key_env} (named by judge.api_key_env) is not set")
            self._headers["Authorization"] = f"Bearer {key}"
        self._lock = threading.Lock()
        self.retries = 0  # retried calls, over the backend's life

    def identity(self) -> dict:
        return {"backend": "http", "model": self.model, "temperature": self.temperature,
                "max_tokens": self.max_tokens}

    def complete(self, messages: Messages) -> ChatReply:
        body = json.dumps({"model": self.model, "messages": messages, "temperature": self.temperature,
                           "max_tokens": self.max_tokens}).encode("utf-8")
        for attempt in range(self.retry.max_retries + 1):
            try:
                return self._post(body)
            except _Retryable as err:
                if attempt == self.retry.max_retries:
                    raise ChatCallError(f"{self.url}: gave up after {attempt + 1} tries: {err}") from None
                with self._lock:
                    self.retries += 1
                self._sleep(self.retry.delay(attempt, err.retry_after))
        raise AssertionError("unreachable")

    def _post(self, body: bytes) -> ChatReply:
        request = urllib.request.Request(self.url, data=body, headers=self._headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                raw = response.read()
        except urllib.error.HTTPError as err:
            detail = err.read()[:300].decode("utf-8", "replace")
            if err.code in (408, 429) or err.code >= 500:
                raise _Retryable(f"HTTP {err.code}: {detail}", _retry_after(err.headers.get("Retry-After"))) from None
            raise ChatCallError(f"{self.url}: HTTP {err.code}: {detail}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as err:
            raise _Retryable(f"{type(err).__name__}: {getattr(err, 'reason', err)}") from None
        try:
            payload = json.loads(raw)
            text = payload["choices"][0]["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError):
            # a 200 with a body cut short or from a proxy is retried here, not paid for again by a later rerun
            raise _Retryable(f"not a chat-completions reply: {raw[:300]!r}") from None
        usage = payload.get("usage") or {}
        return ChatReply(text, int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:  # an HTTP date: fall back to our own backoff
        return None


class LocalHFChatBackend:
    """A local HF model dir through transformers: greedy, one generation at a time."""

    def __init__(self, model_dir: str, max_new_tokens: int = 512, device: str = "auto", dtype: str = "auto",
                 trust_remote_code: bool = False):
        from inference.backends import (
            ModelSpec,
            greedy_generation_config,
            load_model,
            load_tokenizer,
            resolve_device,
            resolve_dtype,
        )

        spec = ModelSpec(model=model_dir, device=device, dtype=dtype, trust_remote_code=trust_remote_code)
        self.device = resolve_device(device)
        self.tokenizer = load_tokenizer(spec)
        self.model = load_model(spec, self.device, resolve_dtype(dtype, self.device))
        self.generation_config = greedy_generation_config(self.model, self.tokenizer, max_new_tokens)
        self.model_dir, self.max_new_tokens = model_dir, max_new_tokens
        self._lock = threading.Lock()

    def identity(self) -> dict:
        return {"backend": "local", "model": os.path.normpath(self.model_dir), "max_new_tokens": self.max_new_tokens}

    def prompt_text(self, messages: Messages) -> str:
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        # a base model without a chat template reads a plain transcript
        turns = [f"{m['role'].capitalize()}: {m['content']}" for m in messages]
        return "\n\n".join(turns) + "\n\nAssistant:"

    def complete(self, messages: Messages) -> ChatReply:
        import torch

        has_template = bool(getattr(self.tokenizer, "chat_template", None))
        batch = self.tokenizer(self.prompt_text(messages), return_tensors="pt", add_special_tokens=not has_template)
        n_prompt = batch["input_ids"].shape[1]
        limit = getattr(self.model.config, "max_position_embeddings", None)
        if limit and n_prompt + self.max_new_tokens > limit:
            raise ChatCallError(f"{self.model_dir}: prompt of {n_prompt} tokens + {self.max_new_tokens} new tokens "
                                f"exceeds the model's context of {limit}")
        with self._lock, torch.inference_mode():
            out = self.model.generate(**{k: v.to(self.device) for k, v in batch.items()},
                                      generation_config=self.generation_config)
        new = out[0, n_prompt:]
        return ChatReply(self.tokenizer.decode(new, skip_special_tokens=True), int(n_prompt), int(new.shape[0]))
