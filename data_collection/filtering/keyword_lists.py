"""Which medical keyword list a language is filtered with, and reading it from disk.

Two lists ship with the package (data_collection/keywords/):
- `paper` (default): the MMedC authors' lists (keywords/paper/, CC BY-SA 4.0, attribution in its README), for the
  paper's six languages en zh ja fr ru es. Used as the authors' filter uses them: the union of the language's two
  files (`<lang>.medical.txt`, `<lang>.medical_biology.txt`), lower-cased, de-duplicated. de and ar have no paper
  list and use `extended` (the choice is recorded with its reason, see `KeywordList.describe`).
- `extended`: this project's lists (keywords/extended/<lang>.txt, about 200 specific terms each, 8 languages).
A `keywords_dir` given by the user overrides both: `<keywords_dir>/<lang>.txt` (name `custom`).
The matcher normalises (NFKC + casefold) and de-duplicates again, so how a list is cased does not matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from common.languages import by_code

KEYWORDS_DIR = Path(__file__).resolve().parent.parent / "keywords"  # data beside the stage package
KeywordLists = Literal["paper", "extended"]  # the built-in lists a config may name
LIST_NAMES: tuple[str, ...] = get_args(KeywordLists)
PAPER_LANGS = ("en", "zh", "ja", "fr", "ru", "es")
PAPER_PARTS = ("medical", "medical_biology")


def load_keywords(path: str | Path) -> list[str]:
    """One keyword per line; blank lines and lines starting with `#` are skipped. Raw (not normalised)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"keyword list not found: {p}")
    out = []
    for line in p.read_text(encoding="utf-8").splitlines():
        word = line.strip()
        if word and not word.startswith("#"):
            out.append(word)
    return out


@dataclass(frozen=True)
class KeywordList:
    lang: str
    name: str  # paper | extended | custom
    paths: tuple[Path, ...]
    words: tuple[str, ...]
    requested: str  # what the config asked for (differs from name when a language has no paper list)

    def describe(self) -> str:
        """One line for logs, stats and manifests: the list used and, if it is not the one asked for, why."""
        if self.name == "custom":
            return f"custom ({self.paths[0]})"
        if self.name != self.requested:
            return f"{self.name} (no {self.requested} list for {self.lang})"
        return self.name


def keyword_list(lang: str, keywords: str = "paper", keywords_dir: str | Path | None = None) -> KeywordList:
    """The keyword list for language `lang` (a code): `keywords` is a name of LIST_NAMES; `keywords_dir`, when
    given, wins. Raises FileNotFoundError naming the missing file, ValueError for an unknown name."""
    code = by_code(lang).code
    if keywords_dir:
        path = Path(keywords_dir) / f"{code}.txt"
        return KeywordList(code, "custom", (path,), tuple(load_keywords(path)), "custom")
    if keywords not in LIST_NAMES:
        raise ValueError(f"unknown keyword list {keywords!r}; known: {', '.join(LIST_NAMES)} "
                         "(or give keywords_dir for your own <lang>.txt files)")
    if keywords == "paper" and code in PAPER_LANGS:
        paths = tuple(KEYWORDS_DIR / "paper" / f"{code}.{part}.txt" for part in PAPER_PARTS)
        # the authors' load_keywords: both lists, lower-cased, de-duplicated (dict keeps the file order)
        words = tuple(dict.fromkeys(w.lower() for p in paths for w in load_keywords(p)))
        return KeywordList(code, "paper", paths, words, keywords)
    path = KEYWORDS_DIR / "extended" / f"{code}.txt"
    return KeywordList(code, "extended", (path,), tuple(load_keywords(path)), keywords)
