"""Rating sheets: written anonymised and shuffled per rater, read back with every mistake named by sheet and row,
scored per model with intervals, and inter-rater alpha checked against a hand-computed value."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from judge_helpers import MODELS, fill_sheet, read_mapping, references, write_predictions

from common.cli import cli
from inference import judge
from inference.judging.sheets import Rating, SheetError, read_sheets
from inference.judging.stats import inter_rater_alpha


@pytest.fixture(scope="module")
def sheets(tmp_path_factory, samples_dir):
    tmp = tmp_path_factory.mktemp("sheets")
    specs = write_predictions(samples_dir, tmp / "preds")
    out = tmp / "sheets"
    code = judge.main(["sheets", "--predictions", *specs, "--data", str(samples_dir / "mmedbench" / "Test"),
                       "--per_language", "2", "--raters", "ana,ben,chen", "--output", str(out)])
    assert code == 0
    return tmp, specs, out


def _rows(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _write_rows(path, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_sheets_are_anonymised_shuffled_and_reproducible(sheets, samples_dir):
    tmp, specs, out = sheets
    paths = sorted((out / "for_raters").glob("rater_*.csv"))
    assert [p.name for p in paths] == ["rater_ana.csv", "rater_ben.csv", "rater_chen.csv"]
    # the folder handed to raters holds the sheets and instructions, not the key
    assert sorted(p.name for p in (out / "for_raters").iterdir()) == ["INSTRUCTIONS.md", *[p.name for p in paths]]
    assert paths[0].read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads CJK text only with the BOM
    rows = _rows(paths[0])
    # 2 questions x 6 languages, 3 rationales each; no model name anywhere in a sheet
    assert len(rows) == 2 * 6 * 3
    assert {r["label"] for r in rows} == {"R1", "R2", "R3"}
    assert not any(cell in MODELS for r in rows for cell in r.values())  # no model name in any cell
    assert all(r["reference_rationale"] == "" for r in rows)  # hidden by default
    assert any("\u3002" in r["question"] for r in rows)  # the Chinese question text, not the prompt
    mapping = read_mapping(out / "mapping.csv")
    qids = sorted({r["question_id"] for r in rows})
    orders = {rater: [tuple(mapping[(rater, q, f"R{k}")] for k in (1, 2, 3)) for q in qids]
              for rater in ("ana", "ben", "chen")}
    assert len(set(orders["ana"])) > 1  # shuffled per question
    assert orders["ana"] != orders["ben"]  # and per rater
    # same predictions and seed: the same sheets, byte for byte
    again = tmp / "again"
    assert judge.main(["sheets", "--predictions", *specs, "--data", str(samples_dir / "mmedbench" / "Test"),
                       "--per_language", "2", "--raters", "ana,ben,chen", "--output", str(again)]) == 0
    assert (again / "for_raters" / "rater_ben.csv").read_bytes() == (out / "for_raters" / "rater_ben.csv").read_bytes()


def test_reference_shown_when_asked(tmp_path, sheets, samples_dir):
    _, specs, _ = sheets
    assert judge.main(["sheets", "--predictions", *specs, "--languages", "en", "--per_language", "1",
                       "--raters", "x", "--show_reference", "true", "--output", str(tmp_path)]) == 0
    rows = _rows(tmp_path / "for_raters" / "rater_x.csv")
    assert rows[0]["reference_rationale"] == references(samples_dir)[rows[0]["question_id"]]


def test_filled_sheets_score_models_in_the_right_order(tmp_path, sheets, samples_dir):
    tmp, _, out = sheets
    filled = tmp_path / "filled"
    filled.mkdir()
    mapping = read_mapping(out / "mapping.csv")
    for k, path in enumerate(sorted((out / "for_raters").glob("rater_*.csv"))):
        target = filled / path.name
        target.write_bytes(path.read_bytes())
        fill_sheet(target, mapping, references(samples_dir), noise=3 + k)
    (filled / "mapping.csv").write_bytes((out / "mapping.csv").read_bytes())
    result = tmp_path / "human"
    assert judge.main(["score", "--sheets", str(filled / "*.csv"), "--bootstrap_samples", "200",
                       "--output", str(result)]) == 0
    scores = {r["model"]: r for r in _rows(result / "human_scores.csv")}
    overall = {m: float(scores[m]["overall"]) for m in MODELS}
    assert overall["gold"] > overall["swapped"] > overall["empty"] == 1.0
    for m in MODELS:
        assert float(scores[m]["overall_ci_low"]) <= overall[m] <= float(scores[m]["overall_ci_high"])
    alpha = {r["criterion"]: float(r["krippendorff_alpha_ordinal"]) for r in _rows(result / "inter_rater.csv")}
    assert 0.5 < alpha["accuracy"] < 1.0  # noisy raters agree well, not perfectly
    assert "Krippendorff" in (result / "results.md").read_text(encoding="utf-8")


def test_mistakes_in_filled_sheets_are_named_by_sheet_and_row(tmp_path, sheets, samples_dir, capsys):
    _, _, out = sheets
    mapping = read_mapping(out / "mapping.csv")
    sheet = tmp_path / "rater_ana.csv"
    sheet.write_bytes((out / "for_raters" / "rater_ana.csv").read_bytes())
    fill_sheet(sheet, mapping, references(samples_dir))
    rows = _rows(sheet)
    rows[0]["accuracy"] = "6"  # row 2: out of range
    rows[1]["reasoning"] = "good"  # row 3: not a number
    rows[2]["knowledge"] = ""  # row 4: empty
    rows[4]["question_id"] = "English-test-999"  # row 6: changed id
    rows[5] = dict(rows[3])  # row 7: duplicates row 5
    del rows[10]  # a deleted row
    _write_rows(sheet, rows)
    code = cli(judge.main, "python -m inference.judge", ["score", "--sheets", str(sheet), "--mapping", str(out / "mapping.csv"),
                       "--output", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err
    assert f"{sheet}: row 2: accuracy must be an integer 1-5, got '6'" in err
    assert f"{sheet}: row 3: reasoning must be an integer 1-5, got 'good'" in err
    assert f"{sheet}: row 4: knowledge is empty" in err
    assert f"{sheet}: row 6: question id 'English-test-999'" in err
    assert f"{sheet}: row 7: duplicates row 5" in err
    assert err.count("is missing (row deleted?)") >= 2  # the deleted row and the overwritten one
    # skipping empty cells is possible when asked, and counted
    sheet.write_bytes((out / "for_raters" / "rater_ana.csv").read_bytes())
    fill_sheet(sheet, mapping, references(samples_dir))
    rows = _rows(sheet)
    rows[0]["accuracy"] = ""
    _write_rows(sheet, rows)
    with pytest.raises(SheetError, match="1 problem") as raised:
        read_sheets([sheet], out / "mapping.csv")
    assert [d.split(": ", 1)[1] for d in raised.value.details] == ["row 2: accuracy is empty (question " +
                                                                    rows[0]["question_id"] + ", R1)"]
    ratings, skipped = read_sheets([sheet], out / "mapping.csv", allow_incomplete=True)
    assert skipped == 1 and len(ratings) == len(rows)


def test_semicolon_sheets_and_spreadsheet_numbers_are_read(tmp_path, sheets, samples_dir):
    _, _, out = sheets
    mapping = read_mapping(out / "mapping.csv")
    sheet = tmp_path / "rater_chen.csv"
    sheet.write_bytes((out / "for_raters" / "rater_chen.csv").read_bytes())
    fill_sheet(sheet, mapping, references(samples_dir))
    rows = _rows(sheet)
    for r in rows:
        r["accuracy"] = r["accuracy"] + ".0"  # what a spreadsheet writes for a number cell
    with open(sheet, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
    ratings, _ = read_sheets([sheet], out / "mapping.csv")
    assert len(ratings) == len(rows)
    assert {r.scores["accuracy"] for r in ratings} <= {1, 2, 5}


def test_krippendorff_alpha_matches_a_hand_computed_example():
    # two raters, three units: (1,1), (2,2), (3,2). Ordinal metric with n1=2, n2=3, n3=1 (n=6):
    # d(2,3) = ((n2+n3)/2)^2 = 4, d(1,2) = (5/2)^2, d(1,3) = (6 - 3/2)^2.
    # D_o = o23*d23*2/n = 2*4/6 = 4/3; D_e = 2*(2*3*6.25 + 2*1*20.25 + 3*1*4)/(6*5) = 6; alpha = 1 - 2/9 = 7/9
    ratings = [Rating(rater, f"q{u}", "English", "m", {c: v for c in ("accuracy", "reasoning", "knowledge")})
               for rater, values in (("a", (1, 2, 3)), ("b", (1, 2, 2))) for u, v in enumerate(values)]
    alpha = inter_rater_alpha(ratings)
    assert alpha["accuracy"] == pytest.approx(7 / 9)
    # one rater alone: agreement is undefined, not 1
    assert math.isnan(inter_rater_alpha([r for r in ratings if r.rater == "a"])["reasoning"])
    assert np.isfinite(alpha["knowledge"])
