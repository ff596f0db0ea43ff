"""The LLM judge over HTTP. Against a scriptable OpenAI-compatible stub on 127.0.0.1 (tests/chat_servers.py):
retries on 429/5xx, non-retryable errors, the reply cache across reruns and a torn cache line, token and cost
accounting, unparsed replies, position-bias control, the API key kept out of every output, and judge-human
agreement end to end. Against `transformers serve` running the tiny model: the judge end to end on a real server."""

from __future__ import annotations

import csv
import json
import threading
from pathlib import Path

import pytest
from chat_servers import ChatStub, StubError, transformers_serve
from judge_helpers import MODELS, fill_sheet, oracle_reply, read_mapping, references, write_predictions

from common.cli import cli
from common.records import RejectLog
from inference import judge
from inference.judging.backends import ChatReply, LocalHFChatBackend
from inference.judging.items import load_model_rationales, question_texts, select_items
from inference.judging.prompt import judge_messages


class Scripted:
    """A reply function for the server: scripted error statuses for the first calls, then `reply`."""

    def __init__(self, fail: tuple[int, ...] = (), reply=oracle_reply):
        self.fail, self.reply, self.calls = list(fail), reply, 0
        self._lock = threading.Lock()

    def __call__(self, messages):
        with self._lock:
            self.calls += 1
            status = self.fail.pop(0) if self.fail else None
        if status:
            raise StubError(status, "scripted failure", retry_after=0 if status == 429 else None)
        return self.reply(messages)


@pytest.fixture(scope="module")
def preds(tmp_path_factory, samples_dir):
    return write_predictions(samples_dir, tmp_path_factory.mktemp("preds"))


@pytest.fixture
def serve():
    servers = []

    def start(complete, api_key=""):
        server = ChatStub(complete, "judge-under-test", api_key=api_key)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


TEST_DIR = Path(__file__).resolve().parent.parent / "samples" / "mmedbench" / "Test"


def _run(preds, url, out: Path, *extra: str, model: str = "judge-under-test") -> int:
    return cli(judge.main, "python -m inference.judge", [
        "run", "--predictions", *preds, "--data", str(TEST_DIR), "--per_language", "2", "--show_reference", "true",
        "--bootstrap_samples", "100", "--judge.base_url", url, "--judge.model", model, "--judge.backoff_s", "0.01",
        "--judge.concurrency", "3", "--output", str(out), *extra])


def _json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.mark.slow
def test_retries_cache_cost_and_position_bias(tmp_path, preds, serve, monkeypatch):
    monkeypatch.setenv("JUDGE_TEST_KEY", "s3cret-key")
    server = Scripted(fail=(429, 500, 503))
    url = serve(server, api_key="s3cret-key")
    out = tmp_path / "run"
    code = _run(preds, url, out, "--judge.api_key_env", "JUDGE_TEST_KEY", "--judge.price_per_1k_prompt", "1.5",
                "--judge.price_per_1k_completion", "4")
    assert code == 0
    usage = _json(out / "usage.json")
    calls = 2 * 6 * 2  # questions per language x languages x orders
    assert usage["fresh_calls"] == calls and usage["retries"] == 3 and server.calls == calls + 3
    assert usage["cost"] == pytest.approx((1.5 * usage["fresh_prompt_tokens"] + 4 * usage["fresh_completion_tokens"])
                                          / 1000, abs=1e-6)
    # the oracle ranks gold > swapped > empty in every order: the judge's table says so, orders agree
    with open(out / "judge_scores.csv", encoding="utf-8") as f:
        overall = {r["model"]: float(r["overall"]) for r in csv.DictReader(f)}
    assert overall == {"gold": 5.0, "swapped": 2.0, "empty": 1.0}
    bias = _json(out / "position_bias.json")
    assert bias["questions_compared"] == 12 and bias["same_ranking_share"] == 1.0
    records = _lines(out / "judgements.jsonl")
    orders: dict[str, dict[int, list[str]]] = {}
    for r in records:
        orders.setdefault(r["id"], {})[r["order_index"]] = r["order"]
    assert len(orders) == 12  # every question: its second order is its first reversed (each model early once)
    assert all(sorted(o) == [0, 1] and o[1] == o[0][::-1] for o in orders.values()), orders
    # the key is read from the environment only: no output holds it
    assert not any("s3cret-key" in p.read_text(encoding="utf-8", errors="replace")
                   for p in out.rglob("*") if p.is_file())

    # a rerun pays for nothing
    assert _run(preds, url, out, "--judge.api_key_env", "JUDGE_TEST_KEY") == 0
    usage = _json(out / "usage.json")
    assert (usage["fresh_calls"], usage["cached_calls"], usage["cost"]) == (0, calls, 0)
    assert server.calls == calls + 3
    # a run killed mid-write leaves a torn last line: it is cut off and only that reply is asked again
    cache = out / "cache.jsonl"
    data = cache.read_bytes()
    cache.write_bytes(data[: len(data) - 40])
    assert _run(preds, url, out, "--judge.api_key_env", "JUDGE_TEST_KEY") == 0
    assert _json(out / "usage.json")["fresh_calls"] == 1 and server.calls == calls + 4


def test_unparsed_replies_are_counted_and_saved(tmp_path, preds, serve):
    def sometimes_prose(messages):
        if "(French)" in messages[-1]["content"]:
            return ChatReply("Rationale R1 looks fine to me, the others less so.", 30, 12)
        return oracle_reply(messages)

    out = tmp_path / "run"
    assert _run(preds, serve(Scripted(reply=sometimes_prose)), out) == 0
    unparsed = _lines(out / "unparsed.jsonl")
    assert len(unparsed) == 2 * 2  # the French questions, both orders
    assert all(u["language"] == "French" and u["unparsed_reason"] for u in unparsed)
    assert "4 unparsed" in (out / "results.md").read_text(encoding="utf-8")
    with open(out / "judge_items.csv", encoding="utf-8") as f:
        languages = {r["language"] for r in csv.DictReader(f)}
    assert "French" not in languages and len(languages) == 5


def test_errors_that_retrying_cannot_fix_fail_fast(tmp_path, preds, serve, monkeypatch):
    monkeypatch.setenv("JUDGE_TEST_KEY", "wrong")
    server = Scripted()
    out = tmp_path / "run"
    code = _run(preds, serve(server, api_key="right"), out, "--judge.api_key_env", "JUDGE_TEST_KEY",
                "--languages", "en")
    assert code == 1
    failed = _lines(out / "failed.jsonl")
    assert len(failed) == 4 and all("HTTP 401" in f["error"] for f in failed)
    assert server.calls == 0  # refused before the reply function, and never retried


def test_unset_api_key_variable_is_a_one_line_error(tmp_path, preds, serve, monkeypatch, capsys):
    monkeypatch.delenv("JUDGE_TEST_KEY_UNSET", raising=False)
    assert _run(preds, serve(Scripted()), tmp_path / "run", "--judge.api_key_env", "JUDGE_TEST_KEY_UNSET") == 2
    assert capsys.readouterr().err.strip() == ("python -m inference.judge: error: environment variable "
                                               "JUDGE_TEST_KEY_UNSET (named by judge.api_key_env) is not set")


def test_retries_give_up_after_max_retries(tmp_path, preds, serve):
    server = Scripted(fail=(500,) * 100)
    out = tmp_path / "run"
    code = _run(preds, serve(server), out, "--languages", "en", "--per_language", "1", "--judge.max_retries",
                "2", "--judge.concurrency", "1")
    assert code == 1
    failed = _lines(out / "failed.jsonl")
    assert len(failed) == 2 and all("gave up after 3 tries" in f["error"] for f in failed)
    assert server.calls == 6


@pytest.mark.slow
def test_judge_human_agreement_end_to_end(tmp_path, preds, serve, samples_dir):
    sheets, human, llm, agree = (tmp_path / x for x in ("sheets", "human", "llm", "agreement"))
    assert judge.main(["sheets", "--predictions", *preds, "--data", str(TEST_DIR), "--per_language", "2",
                       "--output", str(sheets)]) == 0
    mapping = read_mapping(sheets / "mapping.csv")
    for k, path in enumerate(sorted((sheets / "for_raters").glob("rater_*.csv"))):
        fill_sheet(path, mapping, references(samples_dir), noise=2 + k)
    assert judge.main(["score", "--sheets", str(sheets / "for_raters" / "rater_*.csv"), "--bootstrap_samples", "100",
                       "--output", str(human)]) == 0
    assert _run(preds, serve(Scripted()), llm) == 0
    assert judge.main(["agreement", "--human_scores", str(human), "--judge_scores", str(llm),
                       "--bootstrap_samples", "100", "--output", str(agree)]) == 0
    with open(agree / "agreement.csv", encoding="utf-8") as f:
        rows = {(r["score"], r["level"], r["method"]): r for r in csv.DictReader(f)}
    item = rows[("overall", "item", "spearman")]
    assert int(item["n"]) == 2 * 6 * len(MODELS)
    assert float(item["value"]) > 0.8 and float(item["ci_low"]) <= float(item["value"]) <= float(item["ci_high"])
    assert float(rows[("overall", "model", "kendall")]["value"]) == pytest.approx(1.0)
    text = (agree / "agreement.md").read_text(encoding="utf-8")
    assert "0.660" in text and f"{float(item['value']):.3f}" in text
    assert (agree / "agreement.png").read_bytes().startswith(b"\x89PNG")


@pytest.fixture(scope="module")
def served_tiny_model(tiny_model_dir, tmp_path_factory):
    """`transformers serve` running the tiny model (its chat template), started once for this module."""
    with transformers_serve(tiny_model_dir, tmp_path_factory.mktemp("serve") / "serve.log") as url:
        yield url


@pytest.mark.slow
def test_tiny_model_served_by_transformers_serve(tmp_path, preds, served_tiny_model, tiny_model_dir):
    out = tmp_path / "run"
    code = _run(preds, served_tiny_model, out, "--languages", "en", "--per_language", "1", "--judge.max_tokens",
                "12", model=str(tiny_model_dir))
    assert code == 0
    records = _lines(out / "judgements.jsonl")
    usage = _json(out / "usage.json")
    assert len(records) == 2 and usage["fresh_calls"] == 2 and usage["retries"] == 0
    # the server ran the model: each reply, and its token counts, are what the model writes for the same messages
    # through its chat template, greedy, at most max_tokens
    local = LocalHFChatBackend(str(tiny_model_dir), max_new_tokens=12, device="cpu", dtype="float32")
    items, _ = select_items(load_model_rationales(preds, "error", RejectLog(None)), question_texts(str(TEST_DIR)),
                            1, ["en"], True, 0)
    direct = [local.complete(judge_messages(next(i for i in items if i.id == r["id"]), r["order"],
                                            show_reference=True)) for r in records]
    assert [r["reply"] for r in records] == [d.text for d in direct]
    assert usage["fresh_prompt_tokens"] == sum(d.prompt_tokens for d in direct) > 200
    assert 0 < usage["fresh_completion_tokens"] == sum(d.completion_tokens for d in direct) <= 24
    unparsed = len(_lines(out / "unparsed.jsonl"))
    assert unparsed == sum(r["ratings"] is None for r in records)


def _flaky_proxy(target: str, broken: int):
    """An HTTP server in front of `target` whose first `broken` replies are 200s with a body cut short."""
    import http.server
    import urllib.request

    state = {"broken": broken}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server API
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if state["broken"] > 0:
                state["broken"] -= 1
                data = b'{"choices": [{"message": {"content": "###Accur'
            else:
                request = urllib.request.Request(target + self.path, data=body,
                                                 headers={"Content-Type": "application/json"}, method="POST")
                with urllib.request.urlopen(request, timeout=30) as response:
                    data = response.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


def test_a_malformed_200_reply_is_retried_and_spend_adds_up_across_runs(tmp_path, preds, serve):
    server = Scripted()
    proxy, url = _flaky_proxy(serve(server).removesuffix("/v1"), broken=2)
    out = tmp_path / "run"
    try:
        assert _run(preds, url, out, "--languages", "en", "--per_language", "1", "--judge.concurrency", "1") == 0
    finally:
        proxy.shutdown()
    usage = _json(out / "usage.json")
    assert usage["retries"] == 2 and usage["fresh_calls"] == 2 and not (out / "failed.jsonl").read_text()
    assert usage["all_runs"]["runs"] == 1 and usage["all_runs"]["fresh_calls"] == 2
    # no question judged in two parsed orders: the shares are undefined, written as null (NaN is not JSON)
    from common.records import write_json
    from inference.judging.run import position_bias

    write_json(tmp_path / "bias.json", position_bias([]))
    bias = json.loads((tmp_path / "bias.json").read_text(encoding="utf-8"), parse_constant=pytest.fail)
    assert bias["questions_compared"] == 0 and bias["same_ranking_share"] is None
    assert _run(preds, serve(server), out, "--languages", "en", "--per_language", "2") == 0  # a bigger study
    usage = _json(out / "usage.json")
    assert usage["fresh_calls"] == 2 and usage["all_runs"] == {**usage["all_runs"], "runs": 2, "fresh_calls": 4}
