from __future__ import annotations

import gzip
import json

import pytest

from common.records import (
    BadRecordError,
    JsonlAppender,
    RejectLog,
    atomic_path,
    expand_inputs,
    iter_records,
    read_jsonl,
    write_jsonl,
    write_parquet,
)


def test_jsonl_broken_line_error_names_file_and_line(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n{"a": 2\n{"a": 3}\n', encoding="utf-8")
    with pytest.raises(BadRecordError, match=r"x\.jsonl:2: invalid JSON"):
        read_jsonl(path)


def test_jsonl_skip_policy_writes_rejects_and_counts(tmp_path):
    path = tmp_path / "x.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write('{"a": 1}\nnot json\n[1, 2]\n\n{"a": 4}\n')
    rejects = RejectLog(tmp_path / "rejects.jsonl")
    rows = read_jsonl(path, on_bad_record="skip", rejects=rejects)
    rejects.close()
    assert [r["a"] for r in rows] == [1, 4]
    assert rejects.count == 2
    logged = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert [r["where"].rsplit(":", 1)[1] for r in logged] == ["2", "3"]
    assert logged[0]["raw"] == "not json"


def test_roundtrip_jsonl_and_parquet_and_expand(tmp_path):
    rows = [{"id": str(i), "text": "文本 " * i, "meta": {"k": i}} for i in range(5)]
    write_jsonl(tmp_path / "d" / "a.jsonl", rows)
    write_parquet(tmp_path / "d" / "sub" / "b.parquet", rows)
    files = expand_inputs(tmp_path / "d")
    assert [f.name for f in files] == ["a.jsonl", "b.parquet"]
    for f in files:
        assert [r for _, r in iter_records(f)] == rows
    assert expand_inputs(str(tmp_path / "d" / "**" / "*.parquet")) == [tmp_path / "d" / "sub" / "b.parquet"]
    write_jsonl(tmp_path / "d" / "_work" / "partial.jsonl", rows)  # work files are not inputs
    write_jsonl(tmp_path / "d" / ".hidden.jsonl", rows)
    assert [f.name for f in expand_inputs(tmp_path / "d")] == ["a.jsonl", "b.parquet"]


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.jsonl"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("partial")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_appender_repairs_torn_tail(tmp_path):
    path = tmp_path / "pred.jsonl"
    path.write_text('{"id": "a"}\n{"id": "b", "out', encoding="utf-8")
    with JsonlAppender(path) as out:
        out.write({"id": "b"})
    assert [r["id"] for r in read_jsonl(path)] == ["a", "b"]


def test_missing_input_is_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        expand_inputs(tmp_path / "nowhere")


def test_a_line_that_is_not_utf8_is_one_bad_record_at_its_line(tmp_path):
    path = tmp_path / "x.jsonl"
    lines = [b'{"a": %d}\n' % i for i in range(300)]
    lines[5] = b'{"a": "\xff"}\n'
    path.write_bytes(b"".join(lines))
    with pytest.raises(BadRecordError, match=r"x\.jsonl:6: not valid UTF-8"):
        read_jsonl(path)
    rejects = RejectLog(None)
    assert len(read_jsonl(path, on_bad_record="skip", rejects=rejects)) == 299 and rejects.count == 1


def test_truncated_gzip_raises_naming_the_file(tmp_path):
    from common.records import UnreadableFileError

    path = tmp_path / "x.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("".join(json.dumps({"text": "word " * 50, "i": i}) + "\n" for i in range(2000)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnreadableFileError, match=r"x\.jsonl\.gz: unreadable after line \d+"):
        read_jsonl(path, on_bad_record="skip", rejects=RejectLog(None))
