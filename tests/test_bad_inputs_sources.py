"""Bad input to the source commands (data_collection.web, .ocr, .corpora), as a user gives it: each case is a
one-line error naming the file, line, key or flag (exit 2, nothing already written lost), a counted reject
(exit 0), or a failed input file listed in errors.jsonl while the others are written (exit 1); reruns with other
settings, changed or added inputs, and a run interrupted half-way give no mix, no loss and no duplicate."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pymupdf
import pytest
import yaml
from cli_helpers import one_line_error

from common.cli import cli
from data_collection import corpora, ocr, web
from data_collection.documents import read_document_shard

MODULES = {"web": web, "ocr": ocr, "corpora": corpora}
PROGS = {name: f"python -m data_collection.{name}" for name in MODULES}
COMMANDS = list(MODULES)


# ---------------------------------------------------------------------------------------------- inputs


def _pdf(path: Path, text: str, pages: int = 1) -> Path:
    doc = pymupdf.open()
    for i in range(pages):
        doc.new_page(width=300, height=300).insert_text(
            (20, 40), f"Page {i + 1}: {text} The patient presented with fever, cough and chest pain.", fontsize=6)
    doc.save(path)
    return path


def _inputs(cmd: str, folder: Path, samples_dir: Path) -> Path:
    """A small input folder of the command: the sample pages, two typeset books, or two Baike files."""
    folder.mkdir(parents=True)
    if cmd == "web":
        for page in ("en_encyclopedia_asthma.html", "fr_actualite_grippe.html", "empty.html"):
            shutil.copy(samples_dir / "web" / page, folder / page)
    elif cmd == "ocr":
        _pdf(folder / "a.pdf", "Asthma is a chronic inflammatory disease of the airways.", pages=2)
        _pdf(folder / "b.pdf", "Type 2 diabetes is treated with metformin and insulin.", pages=2)
    else:
        lines = (samples_dir / "corpora" / "baike" / "baike_sample.jsonl").read_text(encoding="utf-8").splitlines()
        (folder / "a.jsonl").write_text(lines[0] + "\n", encoding="utf-8")
        (folder / "b.jsonl").write_text(lines[1] + "\n" + lines[3] + "\n", encoding="utf-8")  # not line 3: malformed
    return folder


def _one_more_input(cmd: str, folder: Path, samples_dir: Path) -> None:
    if cmd == "web":
        shutil.copy(samples_dir / "web" / "es_consulta_diabetes.html", folder / "es_consulta_diabetes.html")
    elif cmd == "ocr":
        _pdf(folder / "c.pdf", "Pneumonia is an infection of the lungs treated with antibiotics.", pages=2)
    else:
        (folder / "c.jsonl").write_text(json.dumps({
            "title": "哮喘", "summary": "哮喘是一种慢性气道炎症性疾病，患者出现反复发作的喘息、气急、胸闷或咳嗽。",
            "sections": [{"title": "治疗", "content": "治疗包括吸入糖皮质激素和支气管扩张剂，患者应避免过敏原并定期随访。"
                                                      "医生根据症状控制情况调整药物剂量。"}]}, ensure_ascii=False)
            + "\n", encoding="utf-8")


def _argv(cmd: str, src: Path, out: Path, *extra: str) -> list[str]:
    return (["baike"] if cmd == "corpora" else []) + ["--input", str(src), "--output", str(out), *extra]


def _run(cmd: str, src: Path, out: Path, *extra: str) -> int:
    return cli(MODULES[cmd].main, PROGS[cmd], _argv(cmd, src, out, *extra))


def _docs(out: Path) -> list[tuple[str, str]]:
    return sorted((d["id"], d["text"]) for p in sorted((out / "documents").glob("*.parquet"))
                  for d in read_document_shard(p))


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def _written(out: Path) -> dict[str, bytes]:
    """Every output file (config.yaml included) but the run's own state and manifest."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and "_run" not in p.parts and not p.name.startswith("manifest")}


def _one_line_error(capsys, cmd: str, *fragments: str) -> str:
    return one_line_error(capsys, PROGS[cmd], *fragments)


@pytest.fixture()
def done(request, tmp_path, samples_dir):
    """(command, input folder, output folder) after one successful run."""
    cmd = request.param
    src = _inputs(cmd, tmp_path / "in", samples_dir)
    out = tmp_path / "out"
    assert _run(cmd, src, out) == 0
    assert _docs(out)
    return cmd, src, out


# ---------------------------------------------------------------------------------------------- user errors: exit 2


def _yaml(tmp_path: Path, data: dict) -> str:
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def _empty_dir(tmp_path: Path) -> str:
    (tmp_path / "empty").mkdir()
    return str(tmp_path / "empty")


def _dangling_links(tmp_path: Path) -> str:
    """A folder whose input files are links to files since deleted (one per command's file type)."""
    (tmp_path / "links").mkdir()
    for name in ("book.pdf", "page.html", "dump.jsonl"):
        (tmp_path / "links" / name).symlink_to(tmp_path / "deleted" / name)
    return str(tmp_path / "links")


# case -> (commands, extra argv from tmp_path, fragments of the one line)
USER_ERRORS = {
    "bad command-line value": (COMMANDS, lambda t: ["--num_proc", "many"], ["command line: --num_proc", "integer"]),
    "unknown config key": (COMMANDS, lambda t: ["--config", _yaml(t, {"min_charz": 5})], ["cfg.yaml", "min_charz"]),
    "missing input": (COMMANDS, lambda t: ["--input", str(t / "nowhere")], ["input not found", "nowhere"]),
    "no input files": (COMMANDS, lambda t: ["--input", _empty_dir(t)], ["key 'input'", "no "]),
    "input files that are links to nothing": (COMMANDS, lambda t: ["--input", _dangling_links(t)],
                                              ["links/", "which does not exist"]),
    "bad on_mismatch": (COMMANDS, lambda t: ["--on_mismatch", "merge"], ["on_mismatch", "'merge'"]),
    "unknown language": (COMMANDS, lambda t: ["--lang", "xx"], ["unknown language code 'xx'"]),
    "web: bad favor": (["web"], lambda t: ["--favor", "speed"], ["command line: --favor", "got 'speed'"]),
    "ocr: bad doc_unit": (["ocr"], lambda t: ["--doc_unit", "page"],
                          ["command line: --doc_unit: expected one of book, chunk; got 'page'"]),
    "ocr: engine that cannot read the language": (["ocr"], lambda t: ["--backend", "rapidocr", "--lang", "ru"],
                                                  ["rapidocr", "'ru'"]),
    "corpora: titles file missing": (["corpora"], lambda t: ["--select", "titles", "--titles_file",
                                                             str(t / "no-titles.txt")], ["no-titles.txt"]),
    "corpora: bad on_bad_record": (["corpora"], lambda t: ["--on_bad_record", "ignore"], ["on_bad_record"]),
}
USER_ERROR_CASES = [(cmd, case) for case, (cmds, _, _) in USER_ERRORS.items() for cmd in cmds]


@pytest.mark.parametrize("cmd,case", USER_ERROR_CASES, ids=[f"{c}-{k}" for c, k in USER_ERROR_CASES])
def test_user_errors_are_one_line_and_lose_nothing(cmd, case, tmp_path, samples_dir, capsys):
    src = _inputs(cmd, tmp_path / "in", samples_dir)
    out = tmp_path / "out"
    assert _run(cmd, src, out) == 0
    before = _written(out)
    capsys.readouterr()
    _, extra, fragments = USER_ERRORS[case]
    assert _run(cmd, src, out, *extra(tmp_path)) == 2
    _one_line_error(capsys, cmd, *fragments)
    assert _written(out) == before  # config.yaml included: a failed run does not rewrite it


@pytest.mark.parametrize("cmd", COMMANDS)
def test_an_output_folder_that_is_a_file_is_one_line(cmd, tmp_path, samples_dir, capsys):
    src = _inputs(cmd, tmp_path / "in", samples_dir)
    taken = tmp_path / "taken"
    taken.write_text("keep me", encoding="utf-8")
    assert _run(cmd, src, taken) == 2
    _one_line_error(capsys, cmd, "taken", "is a file")
    assert taken.read_text(encoding="utf-8") == "keep me"


# ---------------------------------------------------------------------------------------------- reruns


CHANGES = {"web": (["--min_chars", "5000"], "min_chars: 100 -> 5000"),
           "ocr": (["--long_book_pages", "1", "--skip_first", "1", "--skip_last", "0"], "long_book_pages: 50 -> 1"),
           "corpora": (["--min_chars", "5000"], "min_chars: 50 -> 5000")}


@pytest.mark.parametrize("done", COMMANDS, indirect=True)
def test_a_rerun_with_other_settings_is_an_error_or_a_redo_never_a_mix(done, capsys):
    cmd, src, out = done
    before = _written(out)
    capsys.readouterr()
    change, named = CHANGES[cmd]
    assert _run(cmd, src, out, *change) == 2
    _one_line_error(capsys, cmd, named, "on_mismatch: redo")
    assert _written(out) == before
    assert _run(cmd, src, out, *change, "--on_mismatch", "redo") == 0
    counts = _manifest(out)["counts"]
    assert counts["units_redone"] == counts["units_total"] and counts["units_skipped_done"] == 0
    if cmd == "ocr":  # only the second page of each book is read now
        books = [json.loads(p.read_text("utf-8")) for p in (out / "books").glob("*.json")]
        assert [b["page_num"] for b in books] == [[2], [2]]
        assert all(text.startswith("Page 2") for _, text in _docs(out))
    else:  # nothing is long enough now
        assert _docs(out) == []
    assert yaml.safe_load((out / "config.yaml").read_text())["on_mismatch"] == "redo"  # the folder's description


@pytest.mark.parametrize("done", COMMANDS, indirect=True)
def test_a_changed_input_file_is_named_not_mixed(done, capsys, tmp_path):
    cmd, src, out = done
    before = _written(out)
    first = sorted(p for p in src.iterdir())[0]
    if cmd == "ocr":
        _pdf(first, "Hypertension is treated with diuretics and ACE inhibitors.", pages=2)
    else:
        first.write_bytes(first.read_bytes() + b"\n")  # content changed, same records
    capsys.readouterr()
    assert _run(cmd, src, out) == 2
    _one_line_error(capsys, cmd, f"unit '{first.name}'", f"input {first} changed")
    assert _written(out) == before
    assert _run(cmd, src, out, "--on_mismatch", "redo") == 0 and _manifest(out)["counts"]["units_redone"] == 1


@pytest.mark.parametrize("done", COMMANDS, indirect=True)
def test_an_input_added_before_a_rerun_is_picked_up(done, samples_dir):
    cmd, src, out = done
    before = _docs(out)
    _one_more_input(cmd, src, samples_dir)
    assert _run(cmd, src, out) == 0
    after = _docs(out)
    counts = _manifest(out)["counts"]
    assert counts["units_done"] == 1 and counts["units_skipped_done"] == counts["units_total"] - 1
    assert set(before) < set(after) and len(after) == len({i for i, _ in after})  # old kept, new in, no duplicate


def _interrupt_on_second_unit(cmd: str, monkeypatch) -> None:
    """A Ctrl-C (or kill) while the second input file is being converted."""
    seen: list[str] = []

    def note(name: str) -> None:
        if name not in seen:
            seen.append(name)
        if len(seen) == 2:
            raise KeyboardInterrupt

    if cmd == "web":
        real_web = web.page_to_document
        monkeypatch.setattr(web, "page_to_document", lambda page, *a: (note(page.where), real_web(page, *a))[1])
    elif cmd == "ocr":
        real_ocr = ocr.read_book
        monkeypatch.setattr(ocr, "read_book", lambda path, rel, cfg: (note(rel), real_ocr(path, rel, cfg))[1])
    else:
        real_baike = corpora.CONVERTERS["baike"]

        def baike(path, rel, *args):
            note(rel)
            yield from real_baike(path, rel, *args)
        monkeypatch.setitem(corpora.CONVERTERS, "baike", baike)


@pytest.mark.parametrize("cmd", COMMANDS)
def test_a_run_interrupted_half_way_then_rerun_equals_a_clean_run(cmd, tmp_path, samples_dir, monkeypatch):
    src = _inputs(cmd, tmp_path / "in", samples_dir)
    clean, out = tmp_path / "clean", tmp_path / "out"
    assert _run(cmd, src, clean) == 0
    with monkeypatch.context() as m:
        _interrupt_on_second_unit(cmd, m)
        assert _run(cmd, src, out) == 130
    manifest = _manifest(out)
    assert manifest["status"] == "interrupted" and manifest["counts"]["units_done"] == 1
    assert _run(cmd, src, out) == 0
    assert _manifest(out)["counts"]["units_skipped_done"] == 1
    assert _docs(out) == _docs(clean)


# ---------------------------------------------------------------------------------------------- failed files: exit 1


def _bad_input(cmd: str, folder: Path, samples_dir: Path) -> str:
    """A file of the command's input that cannot be read to its end; its name."""
    if cmd == "web":  # a WARC cut off half-way
        data = (samples_dir / "web" / "pages.warc.gz").read_bytes()
        (folder / "cut.warc.gz").write_bytes(data[: len(data) // 2])
        return "cut.warc.gz"
    if cmd == "ocr":
        (folder / "corrupt.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4)
        return "corrupt.pdf"
    good = gzip.compress((samples_dir / "corpora" / "baike" / "baike_sample.jsonl").read_bytes())
    (folder / "cut.jsonl.gz").write_bytes(good[: len(good) // 2])
    return "cut.jsonl.gz"


@pytest.mark.parametrize("cmd", COMMANDS)
def test_a_file_that_cannot_be_read_fails_alone_and_is_retried(cmd, tmp_path, samples_dir, capsys):
    src = _inputs(cmd, tmp_path / "in", samples_dir)
    clean = tmp_path / "clean"
    assert _run(cmd, src, clean) == 0
    bad = _bad_input(cmd, src, samples_dir)
    out = tmp_path / "out"
    assert _run(cmd, src, out) == 1
    assert f"{bad}: failed: " in capsys.readouterr().err
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert [e["unit"] for e in errors] == [bad] and _manifest(out)["failed_units"] == [bad]
    assert _docs(out) == _docs(clean)  # every other file's documents are written
    (src / bad).unlink()
    assert _run(cmd, src, out) == 0 and not (out / "errors.jsonl").exists()
    assert _docs(out) == _docs(clean)


# ---------------------------------------------------------------------------------------------- counted rejects: exit 0


@pytest.mark.parametrize("cut", [700, 900, 2600])  # in a record's headers, in its content, after its end
def test_web_a_plain_warc_cut_short_fails_alone_not_in_silence(cut, tmp_path, samples_dir):
    src = _inputs("web", tmp_path / "in", samples_dir)
    (src / "cut.warc").write_bytes(gzip.decompress((samples_dir / "web" / "pages.warc.gz").read_bytes())[:cut])
    out = tmp_path / "out"
    assert _run("web", src, out) == 1
    assert _manifest(out)["failed_units"] == ["cut.warc"]


def test_corpora_malformed_lines_are_counted_rejects_with_file_and_line(tmp_path, samples_dir):
    src = _inputs("corpora", tmp_path / "in", samples_dir)
    good = (src / "a.jsonl").read_text(encoding="utf-8")
    (src / "a.jsonl").write_text(good + "\n".join([
        "{not json",                                                      # malformed JSON line
        json.dumps({"title": 5, "summary": "x", "sections": []}),          # wrong field type
        json.dumps({"summary": "no title", "sections": []}),               # missing field
        json.dumps({"title": "空", "summary": "", "sections": []}),         # empty text
        "[1, 2]",                                                         # not an object
        '{"title": "\\ud800\\udfff\\ud800", "summary": "肺炎", "sections": []}']) + "\n",  # lone surrogate
        encoding="utf-8")
    out = tmp_path / "out"
    assert _run("corpora", src, out) == 0
    rejects = [json.loads(line) for line in (out / "rejects" / "baike-zh-a.jsonl").read_text().splitlines()]
    assert [r["where"] for r in rejects] == ["a.jsonl:2", "a.jsonl:3", "a.jsonl:4", "a.jsonl:6", "a.jsonl:7"]
    assert "field 'title' holds a lone surrogate" in rejects[-1]["reason"]
    counts = _manifest(out)["counts"]
    assert counts["rejected"] == 5 and counts["too_short"] + counts["not_medical"] >= 1
    assert _run("corpora", src, tmp_path / "strict", "--on_bad_record", "error") == 1  # the file fails alone
    error = json.loads((tmp_path / "strict" / "errors.jsonl").read_text())
    assert error["unit"] == "a.jsonl" and error["error"].startswith("a.jsonl:2: invalid JSON")
    assert _docs(tmp_path / "strict")  # b.jsonl's documents are written


def test_corpora_an_inserted_line_changes_no_other_documents_id(tmp_path, samples_dir):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(samples_dir / "corpora" / "baike" / "baike_sample.jsonl", src / "baike.jsonl")
    out = tmp_path / "out"
    assert _run("corpora", src, out) == 0
    before = _docs(out)
    path = src / "baike.jsonl"
    path.write_text('{"title": "故宫", "summary": "故宫是明清两代的皇家宫殿。", "sections": []}\n'
                    + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert _run("corpora", src, out, "--on_mismatch", "redo") == 0
    assert _docs(out) == before


def test_web_pages_in_other_encodings_or_very_long_are_read_right(tmp_path, samples_dir):
    src = tmp_path / "in"
    src.mkdir()
    body = ("La grippe saisonnière est une infection virale aiguë des voies respiratoires. Les symptômes sont la "
            "fièvre élevée, les céphalées et une toux sèche; la vaccination annuelle est recommandée. ") * 3
    page = f"<html><head><title>Grippe</title></head><body><article><h1>Grippe</h1><p>{body}</p></article></body></html>"
    (src / "latin1.html").write_bytes(page.encode("latin-1"))  # no charset anywhere
    long_text = " ".join(["Asthma is a chronic inflammatory disease of the airways that causes wheezing, "
                          "breathlessness and cough; inhaled corticosteroids control it."] * 5000)
    assert len(long_text) > 600_000
    (src / "long.html").write_text(f"<html><body><article><p>{long_text}</p></article></body></html>",
                                   encoding="utf-8")
    (src / "binary.html").write_bytes(bytes(range(256)) * 8)
    out = tmp_path / "out"
    # on the whole long page py3langid is 0.81 sure: dropped at 0.9 unless language ID reads a prefix
    assert _run("web", src, out, "--min_lang_prob", "0.9") == 0
    docs = {json.loads(d["meta"])["file"] if isinstance(d["meta"], str) else d["meta"]["file"]: d
            for d in read_document_shard(out / "documents" / "website-part-00000-of-00001.parquet")}
    assert "saisonnière" in docs["latin1.html"]["text"] and "fièvre" in docs["latin1.html"]["text"]
    assert docs["latin1.html"]["lang"] == "fr"
    assert docs["long.html"]["lang"] == "en" and len(docs["long.html"]["text"]) > 600_000
    rejects = [json.loads(line) for line in (out / "rejects-00000-of-00001.jsonl").read_text().splitlines()]
    assert [r["where"] for r in rejects] == ["binary.html"]
    counts = _manifest(out)["counts"]
    assert counts["pages_in"] == 3 and counts["kept"] == 2 and counts["rejected"] == 1


def test_web_a_page_over_the_size_limit_is_a_reject_that_says_so(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    paragraph = "<p>" + "Pneumonia is an infection of the lung alveoli; fever, cough and dyspnoea follow. " * 40
    (src / "huge.html").write_text("<html><body><article>" + "".join(f"{paragraph}{i}</p>" for i in range(400))
                                   + "</article></body></html>", encoding="utf-8")  # 1.2 MB
    out = tmp_path / "out"
    assert _run("web", src, out, "--max_page_mb", "1") == 0
    (reject,) = [json.loads(line) for line in (out / "rejects-00000-of-00001.jsonl").read_text().splitlines()]
    assert reject["where"] == "huge.html" and reject["reason"] == "page of 1.2 MB is larger than max_page_mb (1)"
    assert _manifest(out)["counts"]["too_large"] == 1
    assert _run("web", src, out, "--max_page_mb", "2", "--on_mismatch", "redo") == 0  # raised: the page is read
    assert _manifest(out)["counts"]["kept"] == 1


def test_ocr_books_with_no_text_are_counted_not_lost(tmp_path, monkeypatch):
    class Blank:  # an engine that finds nothing on the page
        name, lays_out = "blank", False

        def recognise(self, image, dpi=0):
            return []

    monkeypatch.setattr(ocr, "get_backend", lambda *args, **kwargs: Blank())
    src = tmp_path / "in"
    src.mkdir()
    doc = pymupdf.open()
    doc.new_page(width=200, height=200)  # no text layer: OCR'd, nothing found
    doc.save(src / "blank.pdf")
    _pdf(src / "text.pdf", "Asthma is a chronic inflammatory disease of the airways.")
    out = tmp_path / "out"
    assert _run("ocr", src, out) == 0
    counts = _manifest(out)["counts"]
    assert counts["units_done"] == 2 and counts["pages_ocr"] == 1 and counts["pages_text"] == 1
    assert counts["documents"] == 1
    book = next(json.loads(p.read_text("utf-8")) for p in (out / "books").glob("blank-*.json"))
    assert book["text_list"] == [""] and book["pages"][0]["chars"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("cmd", ["ocr", "web"])
def test_worker_processes_give_the_same_result(cmd, tmp_path, samples_dir):
    src = _inputs(cmd, tmp_path / "in", samples_dir)
    assert _run(cmd, src, tmp_path / "one") == 0
    assert _run(cmd, src, tmp_path / "two", "--num_proc", "2") == 0
    assert _docs(tmp_path / "two") == _docs(tmp_path / "one")
