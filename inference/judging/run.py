"""Running the LLM judge over study items: several orders per question, a thread pool, a reply cache, accounting.

Position bias: every question is judged in `orders` orders of its rationales (the second is the first reversed,
so each rationale appears early once and late once; more orders are further seeded shuffles). A model's score
on a question is its mean over the orders that parsed; how often the orders agree is reported.

Cache: every reply is appended (flushed and fsynced) to a JSONL file keyed by a hash of the judge's identity
(model and generation settings) and the exact messages, before it is used. A rerun, or a run resumed after a
crash, reads the cache and pays only for calls not made yet; a torn last line is cut off on open. Token usage
and cost count fresh calls only; cached calls are counted apart.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from common.records import JsonlAppender, iter_jsonl
from inference.judging.backends import ChatBackend, ChatCallError, ChatReply
from inference.judging.items import CRITERIA, StudyItem, label, view_order
from inference.judging.prompt import judge_messages, parse_reply
from inference.judging.stats import ItemScore, correlation, item_scores


class ReplyCache:
    """Append-only JSONL of {key, text, prompt_tokens, completion_tokens}; thread safe."""

    def __init__(self, path: Path):
        self.path = path
        self._out = JsonlAppender(path)  # repairs a torn last line before we read
        self._replies: dict[str, ChatReply] = {}
        for _, rec in iter_jsonl(path):
            self._replies[rec["key"]] = ChatReply(rec["text"], rec["prompt_tokens"], rec["completion_tokens"])
        self._lock = threading.Lock()

    @staticmethod
    def key(identity: dict, messages: list[dict[str, str]]) -> str:
        blob = json.dumps({"judge": identity, "messages": messages}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def get(self, key: str) -> ChatReply | None:
        with self._lock:
            return self._replies.get(key)

    def put(self, key: str, reply: ChatReply) -> None:
        with self._lock:
            self._replies[key] = reply
            self._out.write({"key": key, "text": reply.text, "prompt_tokens": reply.prompt_tokens,
                             "completion_tokens": reply.completion_tokens})

    def close(self) -> None:
        self._out.close()


@dataclass
class Usage:
    price_per_1k_prompt: float = 0.0
    price_per_1k_completion: float = 0.0
    counts: Counter = field(default_factory=Counter)

    def add(self, reply: ChatReply, cached: bool) -> None:
        kind = "cached" if cached else "fresh"
        self.counts[f"{kind}_calls"] += 1
        self.counts[f"{kind}_prompt_tokens"] += reply.prompt_tokens
        self.counts[f"{kind}_completion_tokens"] += reply.completion_tokens

    def summary(self) -> dict:
        c = self.counts
        cost = (c["fresh_prompt_tokens"] * self.price_per_1k_prompt
                + c["fresh_completion_tokens"] * self.price_per_1k_completion) / 1000
        saved = (c["cached_prompt_tokens"] * self.price_per_1k_prompt
                 + c["cached_completion_tokens"] * self.price_per_1k_completion) / 1000
        keys = ("fresh_calls", "fresh_prompt_tokens", "fresh_completion_tokens", "cached_calls",
                "cached_prompt_tokens", "cached_completion_tokens", "failed_calls")
        return {**{k: c[k] for k in keys}, "cost": round(cost, 6), "cost_saved_by_cache": round(saved, 6)}


SPEND_KEYS = ("fresh_calls", "fresh_prompt_tokens", "fresh_completion_tokens", "failed_calls", "retries", "cost")


def usage_all_runs(previous: dict | None, now: dict) -> dict:
    """What every run into the folder has spent together: the previous usage.json's total (or, written before totals
    were kept, its own run's spend) plus this run's. usage.json's other keys are this run's alone."""
    before = (previous or {}).get("all_runs") or {k: (previous or {}).get(k, 0) for k in SPEND_KEYS}
    total = {k: (before.get(k) or 0) + (now.get(k) or 0) for k in SPEND_KEYS}
    total["cost"] = round(total["cost"], 6)
    total["runs"] = int(before.get("runs") or (1 if previous else 0)) + 1
    return total


def judge_orders(item: StudyItem, orders: int, seed: int) -> list[list[str]]:
    """`orders` distinct orders of the item's models: a seeded one, its reverse, then further shuffles."""
    first = view_order(item, seed, "judge:0")
    found = [first, first[::-1]] if len(first) > 1 else [first]
    k = 1
    while len(found) < orders and k < 10 * orders:  # a 2-model item has only two orders
        candidate = view_order(item, seed, f"judge:{k}")
        if candidate not in found:
            found.append(candidate)
        k += 1
    return found[:orders]


def run_judge(backend: ChatBackend, items: Sequence[StudyItem], cache: ReplyCache, usage: Usage, orders: int,
              show_reference: bool, seed: int, concurrency: int) -> list[dict]:
    """One judgement record per (question, order), in item order; failed calls are records with an error."""
    tasks = [(item, k, order) for item in items for k, order in enumerate(judge_orders(item, orders, seed))]
    lock = threading.Lock()

    def call(task: tuple[StudyItem, int, list[str]]) -> dict:
        item, k, order = task
        messages = judge_messages(item, order, show_reference)
        key = ReplyCache.key(backend.identity(), messages)
        reply = cache.get(key)
        cached = reply is not None
        if reply is None:
            try:
                reply = backend.complete(messages)
            except ChatCallError as err:
                with lock:
                    usage.counts["failed_calls"] += 1
                return {"id": item.id, "language": item.language, "order_index": k, "order": order,
                        "error": str(err)}
            cache.put(key, reply)
        with lock:
            usage.add(reply, cached)
        parsed = parse_reply(reply.text, len(order))
        ratings = ({model: parsed.ratings[label(pos)] for pos, model in enumerate(order)}
                   if parsed.ratings is not None else None)
        return {"id": item.id, "language": item.language, "order_index": k, "order": order,
                "labels": [label(pos) for pos in range(len(order))], "reply": reply.text, "cached": cached,
                "parsed": parsed.how, "unparsed_reason": parsed.reason, "ratings": ratings}

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(call, tasks))


def judge_item_scores(judgements: Sequence[dict]) -> list[ItemScore]:
    """Mean score per (question, model) over the orders whose reply parsed."""
    return item_scores((j["id"], j["language"], model, scores) for j in judgements if j.get("ratings")
                       for model, scores in j["ratings"].items())


def _overall(scores: dict[str, int]) -> float:
    return sum(scores[c] for c in CRITERIA) / len(CRITERIA)


def position_bias(judgements: Sequence[dict]) -> dict:
    """How far the orders agree: questions with >= 2 parsed orders, share with the same ranking of the models
    and the same best model, and the mean overall score by position shown (1 = first)."""


    by_question: dict[str, list[dict]] = {}
    by_position: dict[int, list[float]] = {}
    for j in judgements:
        if j.get("ratings"):
            by_question.setdefault(j["id"], []).append(j["ratings"])
            for pos, model in enumerate(j["order"]):
                by_position.setdefault(pos + 1, []).append(_overall(j["ratings"][model]))
    same_ranking = same_best = compared = 0
    taus = []
    for views in by_question.values():
        if len(views) < 2:
            continue
        compared += 1
        models = sorted(views[0])
        vectors = [[_overall(v[m]) for m in models] for v in views]
        same_ranking += all(_ranks(vec) == _ranks(vectors[0]) for vec in vectors[1:])
        best = [{m for m, s in zip(models, vec) if s == max(vec)} for vec in vectors]
        same_best += all(b == best[0] for b in best[1:])
        tau = correlation("kendall", vectors[0], vectors[1])
        if not math.isnan(tau):
            taus.append(tau)
    return {"questions_compared": compared,
            "same_ranking_share": same_ranking / compared if compared else math.nan,
            "same_best_share": same_best / compared if compared else math.nan,
            "mean_kendall_between_orders": sum(taus) / len(taus) if taus else math.nan,
            "mean_overall_by_position": {p: sum(v) / len(v) for p, v in sorted(by_position.items())}}


def _ranks(values: Sequence[float]) -> list[int]:
    """Dense ranks (ties share a rank), so equal orderings compare equal."""
    distinct = sorted(set(values), reverse=True)
    return [distinct.index(v) for v in values]
