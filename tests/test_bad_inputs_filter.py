"""Bad input to data_collection.filter and data_collection.review, as a user gives it: each case is either a
one-line error naming the file, line, key or flag (exit 2, nothing already written lost), a counted reject
(exit 0), or a failed shard listed in errors.jsonl while the others are written (exit 1)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from cli_helpers import one_line_error as _one_line_error

from common.cli import cli
from data_collection import filter as kw_filter
from data_collection import review
from data_collection.documents import write_document_shard

FILTER = "python -m data_collection.filter"
REVIEW = "python -m data_collection.review"
MEDICAL = ("The patient with diabetes and hypertension saw a physician at the hospital; chemotherapy and "
           "surgery were discussed for the tumor, and insulin therapy for the diabetes.")
PLAIN = "The weather was nice and we went for a long walk along the river to see the old bridge."


def _parquet(path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def _jsonl(path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture()
def shards(tmp_path):
    """Two good English shards: 2 of 3 and 1 of 2 documents medical."""
    root = tmp_path / "in"
    _parquet(root / "en" / "a.parquet", [{"text": t, "url": str(i)} for i, t in enumerate([MEDICAL, PLAIN, MEDICAL])])
    _parquet(root / "en" / "b.parquet", [{"text": t, "url": str(i)} for i, t in enumerate([PLAIN, MEDICAL + " b"])])
    return root


def _filter(root, out, *extra: str) -> int:
    return cli(kw_filter.main, FILTER, ["--input", str(root), "--output", str(out), "--progress", "false", *extra])


def _kept(out) -> dict[str, list[str]]:
    return {p.name: pq.read_table(p, columns=["text"]).column("text").to_pylist()
            for p in sorted((out / "documents").glob("*.parquet"))}


def _manifest(out) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------- filter: user errors


def _yaml(tmp_path, data: dict):
    path = tmp_path / "filter.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


FILTER_USER_ERRORS = {
    "bad command-line value": (lambda t: ["--num_proc", "many"], ["command line: --num_proc", "integer"]),
    "unknown config key": (lambda t: ["--config", str(_yaml(t, {"mkcc": 5}))], ["filter.yaml", "mkcc"]),
    "bad thresholds in the config": (
        lambda t: ["--config", str(_yaml(t, {"thresholds": {"en": {"mkc": 5}}}))], ["thresholds.en", "dens"]),
    "output path is a file": (lambda t: ["--output", str(_file(t / "taken"))], ["taken", "is a file"]),
    "missing input": (lambda t: ["--input", str(t / "nowhere")], ["nowhere"]),
    "unknown language": (lambda t: ["--lang", "klingon"], ["command line: --lang", "klingon"]),
    "unknown keyword list": (lambda t: ["--keywords", "mine"],
                              ["command line: --keywords: expected one of paper, extended; got 'mine'"]),
    "missing keyword list file": (lambda t: ["--keywords_dir", str(_folder(t / "lists"))], ["lists/en.txt"]),
    "bad on_mismatch": (lambda t: ["--on_mismatch", "merge"], ["on_mismatch", "'merge'"]),
    "bad on_bad_record": (lambda t: ["--on_bad_record", "ignore"], ["on_bad_record", "'ignore'"]),
}


def _file(path):
    path.write_text("x", encoding="utf-8")
    return path


def _folder(path):
    path.mkdir()
    return path


@pytest.mark.parametrize("case", list(FILTER_USER_ERRORS))
def test_filter_user_errors_are_one_line_and_lose_nothing(case, shards, tmp_path, capsys):
    out = tmp_path / "out"
    assert _filter(shards, out) == 0
    before = _kept(out)
    extra, fragments = FILTER_USER_ERRORS[case]
    argv = extra(tmp_path)
    target = out if "--output" not in argv else tmp_path / "taken"
    capsys.readouterr()
    assert _filter(shards, target, *argv) == 2
    _one_line_error(capsys, FILTER, *fragments)
    assert _kept(out) == before


def test_filter_folder_held_by_a_live_run_is_one_line_naming_it(shards, tmp_path, capsys):
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from common.run_lock import RunLock; "
                               f"RunLock({str(out / '_run' / 'task-00000-of-00001')!r}).acquire(); "
                               "print('held', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert _filter(shards, out) == 2
        _one_line_error(capsys, FILTER, f"pid {holder.pid}")
    finally:
        holder.kill()
        holder.wait()
    assert not (out / "documents").exists()
    assert _filter(shards, out) == 0  # the dead holder's lock is taken over


# ---------------------------------------------------------------------------------------------- filter: bad records


def test_filter_bad_records_are_counted_rejects(tmp_path, capsys):
    root = tmp_path / "in"
    _jsonl(root / "en" / "a.jsonl", [json.dumps({"text": MEDICAL}), "{not json", json.dumps({"text": 5}),
                                     json.dumps({"url": "no text field"}), json.dumps({"text": ""}),
                                     json.dumps({"text": MEDICAL, "lang": "xx"}), json.dumps([1, 2])])
    _parquet(root / "en" / "b.parquet", [{"content": MEDICAL}])  # no text column at all
    out = tmp_path / "out"
    assert _filter(root, out) == 0
    assert _kept(out) == {"en__a.parquet": [MEDICAL], "en__b.parquet": []}
    a = json.loads((out / "documents" / "en__a.stats.json").read_text(encoding="utf-8"))
    # every line in is kept or counted: 2 unreadable lines, 2 bad texts, 1 unknown language, 1 empty text rejected
    assert (a["docs_in"], a["kept"], a["bad_records"], a["bad_text"], a["bad_lang"]) == (7, 1, 2, 2, 1)
    assert a["rejected"] == 6
    rejects = [json.loads(x) for x in (out / "rejects" / "en__a.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["where"].rsplit(":", 1)[1] for r in rejects] == ["2", "7"]
    counts = _manifest(out)["counts"]
    assert (counts["docs_in"], counts["kept"], counts["bad_records"], counts["bad_text"]) == (8, 1, 2, 3)


def test_filter_bad_record_with_on_bad_record_error_fails_its_shard_only(shards, tmp_path, capsys):
    _jsonl(shards / "en" / "c.jsonl", [json.dumps({"text": MEDICAL}), "{not json"])
    out = tmp_path / "out"
    assert _filter(shards, out, "--on_bad_record", "error") == 1
    errors = [json.loads(x) for x in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["unit"] for e in errors] == ["en/c.jsonl"] and "c.jsonl:2" in errors[0]["error"]
    assert set(_kept(out)) == {"en__a.parquet", "en__b.parquet"}
    assert _manifest(out)["failed_units"] == ["en/c.jsonl"]


@pytest.mark.parametrize("content", [b"", b"PAR1 not parquet at all", "truncated"])
def test_filter_corrupt_or_empty_parquet_fails_alone_naming_the_file(content, shards, tmp_path, capsys):
    bad = shards / "en" / "c.parquet"
    if content == "truncated":
        _parquet(bad, [{"text": MEDICAL}] * 50)
        content = bad.read_bytes()[:-30]
    bad.write_bytes(content)
    out = tmp_path / "out"
    assert _filter(shards, out) == 1
    errors = [json.loads(x) for x in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["unit"] for e in errors] == ["en/c.parquet"]
    assert str(bad) in errors[0]["error"] and "not a readable parquet file" in errors[0]["error"]
    assert _kept(out) == {"en__a.parquet": [MEDICAL, MEDICAL], "en__b.parquet": [MEDICAL + " b"]}
    # fixed, the rerun retries it and keeps the rest
    _parquet(bad, [{"text": MEDICAL + " c"}])
    assert _filter(shards, out) == 0 and _kept(out)["en__c.parquet"] == [MEDICAL + " c"]
    assert not (out / "errors.jsonl").exists()


# ---------------------------------------------------------------------------------------------- filter: reruns


def test_filter_rerun_with_other_thresholds_is_an_error_or_a_redo_never_a_mix(shards, tmp_path, capsys):
    out = tmp_path / "out"
    assert _filter(shards, out) == 0
    before = _kept(out)
    strict = _yaml(tmp_path, {"thresholds": {"en": {"mkc": 50, "dens": 0.04}}})
    capsys.readouterr()
    assert _filter(shards, out, "--config", str(strict)) == 2
    _one_line_error(capsys, FILTER, "en/a.parquet", "thresholds", "on_mismatch")
    assert _kept(out) == before
    assert "mkc: 50" not in (out / "config.yaml").read_text(encoding="utf-8")
    assert _filter(shards, out, "--config", str(strict), "--on_mismatch", "redo") == 0
    assert _kept(out) == {"en__a.parquet": [], "en__b.parquet": []}
    assert "mkc: 50" in (out / "config.yaml").read_text(encoding="utf-8")
    assert _manifest(out)["counts"]["units_redone"] == 2


def test_filter_changed_input_content_is_an_error_naming_it(shards, tmp_path, capsys):
    out = tmp_path / "out"
    assert _filter(shards, out) == 0
    before = _kept(out)
    _parquet(shards / "en" / "a.parquet", [{"text": PLAIN}])
    capsys.readouterr()
    assert _filter(shards, out) == 2
    _one_line_error(capsys, FILTER, "en/a.parquet", "changed")
    assert _kept(out) == before


def test_filter_input_added_before_a_rerun_is_filtered(shards, tmp_path, capsys):
    out = tmp_path / "out"
    assert _filter(shards, out) == 0
    before = _kept(out)
    _parquet(shards / "en" / "c.parquet", [{"text": MEDICAL + " c"}])
    capsys.readouterr()
    assert _filter(shards, out) == 0
    assert "2 skipped (done)" in capsys.readouterr().out
    assert _kept(out) == {**before, "en__c.parquet": [MEDICAL + " c"]}
    assert _manifest(out)["counts"]["kept"] == 4  # the task's totals cover the shards done before too


def test_filter_killed_mid_shard_then_rerun_equals_a_clean_run(shards, tmp_path, capsys):
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    assert _filter(shards, clean) == 0
    assert _filter(shards, killed, "--max_shards", "1") == 0
    # killed while writing b: its output renamed but not marked done, temp files of the writers left behind
    (killed / "documents" / "en__b.parquet").write_bytes(b"half")
    (killed / "documents" / ".en__b.parquet.x1.parquet.tmp").write_bytes(b"temp")
    (killed / "rejects").mkdir()
    (killed / "rejects" / "en__b.jsonl").write_text('{"where": "old try"}\n', encoding="utf-8")
    assert _filter(shards, killed) == 0
    assert _kept(killed) == _kept(clean)
    assert not list((killed / "documents").glob(".*.tmp")) and not (killed / "rejects" / "en__b.jsonl").exists()


# ---------------------------------------------------------------------------------------------- review


@pytest.fixture()
def corpus(tmp_path):
    docs = [{"id": f"e{i}", "text": f"Sentence number {i} about insulin therapy. Another one {i} on asthma care.",
             "lang": "en", "source": "web", "meta": {}} for i in range(12)]
    write_document_shard(tmp_path / "corpus" / "en" / "part-00000.parquet", docs)
    (tmp_path / "corpus" / "removed").mkdir()
    (tmp_path / "corpus" / "removed" / "duplicates.en.jsonl").write_text('{"id": "x"}\n', encoding="utf-8")
    return tmp_path / "corpus"


def _sample(corpus, out, *extra: str) -> int:
    return cli(review.main, REVIEW, ["sample", "--corpus", str(corpus), "--output", str(out), "--per_language", "5",
                                     "--min_sentence_chars", "10", *extra])


def _fill(sheet) -> str:
    rows = list(csv.DictReader(open(sheet, encoding="utf-8")))
    for row in rows:
        row["is_medical"] = "1"
    with open(sheet, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return sheet.read_text(encoding="utf-8")


def _sheet(tmp_path, text: str | bytes):
    path = tmp_path / "sheet.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


HEADER = "item,lang,source,doc_id,sentence,is_medical\n"
REVIEW_USER_ERRORS = {
    "unknown command": (lambda t, c: ["tally"], ["command line: --command: expected one of sample, score; got 'tally'"]),
    "bad command-line value": (lambda t, c: ["sample", "--corpus", str(c), "--output", str(t / "s"),
                                              "--per_language", "many"], ["command line: --per_language"]),
    "unknown config key": (lambda t, c: ["sample", "--config", str(_yaml(t, {"per_langauge": 3}))],
                           ["filter.yaml", "per_langauge"]),
    "missing corpus": (lambda t, c: ["sample", "--corpus", str(t / "nowhere"), "--output", str(t / "s")],
                       ["nowhere"]),
    "unknown language": (lambda t, c: ["sample", "--corpus", str(c), "--output", str(t / "s"), "--languages",
                                       "xx"], ["command line: --languages", "unknown language code 'xx'"]),
    "output path is a file": (lambda t, c: ["sample", "--corpus", str(c), "--output", str(_file(t / "taken"))],
                              ["taken", "is a file"]),
    "bad mark": (lambda t, c: ["score", "--sheets", str(_sheet(t, HEADER + "en-1,en,web,d,x,maybe\n"))],
                 ["sheet.csv:2", "is_medical"]),
    "missing column": (lambda t, c: ["score", "--sheets", str(_sheet(t, "item,lang\nen-1,en\n"))],
                       ["sheet.csv", "is_medical"]),
    "empty lang cell": (lambda t, c: ["score", "--sheets", str(_sheet(t, HEADER + "en-1,,web,d,x,1\n"))],
                        ["sheet.csv:2", "lang"]),
    "sheet not UTF-8": (lambda t, c: ["score", "--sheets", str(_sheet(t, (HEADER + "en-1,en,web,d,caf\xe9,1\n")
                                                                       .encode("latin-1")))],
                        ["sheet.csv", "not UTF-8"]),
    "missing sheet": (lambda t, c: ["score", "--sheets", str(t / "none.csv")], ["none.csv"]),
}


@pytest.mark.parametrize("case", list(REVIEW_USER_ERRORS))
def test_review_user_errors_are_one_line(case, corpus, tmp_path, capsys):
    argv, fragments = REVIEW_USER_ERRORS[case]
    assert cli(review.main, REVIEW, argv(tmp_path, corpus)) == 2
    _one_line_error(capsys, REVIEW, *fragments)


@pytest.mark.parametrize("bad", ["corrupt shard", "empty shard", "empty texts"])
def test_review_unusable_corpus_is_one_line(bad, corpus, tmp_path, capsys):
    shard = corpus / "en" / "part-00001.parquet"
    if bad == "empty texts":
        for path in corpus.rglob("*.parquet"):
            path.unlink()
        write_document_shard(shard, [{"id": "a", "text": "", "lang": "en", "source": "web", "meta": {}}])
    else:
        shard.write_bytes(b"" if bad == "empty shard" else b"PAR1 broken")
    assert _sample(corpus, tmp_path / "s") == 2
    line = _one_line_error(capsys, REVIEW)
    assert str(shard) in line or "no sentence" in line
    assert _manifest(tmp_path / "s")["status"] == "error"


def test_review_unusable_documents_and_other_files_are_counted(corpus, tmp_path, capsys):
    _parquet(corpus / "en" / "part-00001.parquet", [{"id": "b1", "text": None, "lang": "en", "source": "web",
                                                    "meta": "{}"},
                                                   {"id": "b2", "text": "A sentence about insulin.", "lang": "xx",
                                                    "source": "web", "meta": "{}"}])
    out = tmp_path / "s"
    assert _sample(corpus, out) == 0
    counts = _manifest(out)["counts"]
    assert (counts["bad_documents"], counts["other_files_not_read"], counts["shards"]) == (2, 1, 2)
    assert "1 file(s) that are not document shards not read; 2 unusable" in capsys.readouterr().out


def test_review_rerun_never_overwrites_filled_sheets(corpus, tmp_path, capsys):
    out = tmp_path / "s"
    assert _sample(corpus, out) == 0
    filled = _fill(out / "review_en.csv")
    assert _sample(corpus, out) == 0  # same corpus and settings: nothing to do
    assert (out / "review_en.csv").read_text(encoding="utf-8") == filled
    capsys.readouterr()
    assert _sample(corpus, out, "--seed", "1") == 2  # other settings
    _one_line_error(capsys, REVIEW, "seed: 0 -> 1", "on_mismatch")
    write_document_shard(corpus / "en" / "part-00001.parquet", [
        {"id": "n", "text": "A new sentence about a vaccine.", "lang": "en", "source": "web", "meta": {}}])
    assert _sample(corpus, out) == 2  # a shard added to the corpus
    _one_line_error(capsys, REVIEW, "part-00001.parquet")
    assert (out / "review_en.csv").read_text(encoding="utf-8") == filled
    assert _sample(corpus, out, "--on_mismatch", "redo") == 0  # asked for: drawn again from the new corpus
    assert "is_medical" in (out / "review_en.csv").read_text(encoding="utf-8")
    assert (out / "review_en.csv").read_text(encoding="utf-8") != filled


def test_review_killed_before_the_marker_redraws_the_same_sheets(corpus, tmp_path):
    out, clean = tmp_path / "s", tmp_path / "clean"
    assert _sample(corpus, clean) == 0
    assert _sample(corpus, out) == 0
    for marker in (out / "_run" / "done").glob("*.json"):  # killed after the sheets, before the marker
        marker.unlink()
    assert _sample(corpus, out) == 0
    assert (out / "review_en.csv").read_text(encoding="utf-8") == (clean / "review_en.csv").read_text(
        encoding="utf-8")


def test_review_score_writes_its_own_manifest_beside_the_sheets(corpus, tmp_path):
    out = tmp_path / "s"
    assert _sample(corpus, out) == 0
    config = (out / "config.yaml").read_text(encoding="utf-8")
    _fill(out / "review_en.csv")
    assert cli(review.main, REVIEW, ["score", "--sheets", str(out / "*.csv"), "--output", str(out)]) == 0
    scores = json.loads((out / "review_scores.json").read_text(encoding="utf-8"))
    assert scores["en"]["medical"] == 5 and scores["en"]["precision"] == 1.0
    assert _manifest(out)["command"] == "data_collection.review" and (out / "manifest-score.json").exists()
    assert (out / "config.yaml").read_text(encoding="utf-8") == config
