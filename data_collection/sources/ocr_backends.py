"""OCR backends: a registry of engines, each saying which languages it reads and why it cannot run here.

- `rapidocr`: PP-OCRv4 Chinese/English models on ONNX Runtime, shipped in the `rapidocr_onnxruntime` wheel.
- `tesseract`: the Debian `tesseract-ocr` engine and its language packs (scripts/system-packages.txt), through
  pytesseract. Reads every language of the project; `vertical` pages (Japanese tategaki) use `jpn_vert`; a
  language's books with Latin terms read with a second model (`tesseract_extra`: `rus+eng`). Its words carry its
  own block/paragraph/line structure (`lays_out`), which the caller keeps instead of re-sorting the boxes.
- `paddleocr`: optional (extra `paddle`), for users who have its models on disk; never downloads.
- `auto` (the default): per language the first available backend of AUTO, ranked by the character error rates
  that scripts/bench_ocr.py measured on held-out book pages (docs/data_collection_sources.md), speed breaking ties.

Every backend takes an RGB page image (numpy array, H x W x 3, uint8) and its resolution, and returns `Box`es with their recognition
confidence in [0, 1]. Nothing is filtered by confidence here: the caller drops and counts low-confidence boxes, so
the threshold is one config value and its effect is visible in the run summary.

An engine is built once per process and language (`get_backend` caches it): model loading costs far more than one
page.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, get_args

import numpy as np

from data_collection.sources.reading_order import Box, box_from_quad

# PP-OCRv4 Chinese models (the ones in the rapidocr_onnxruntime wheel) read Chinese and English (ASCII) text.
RAPIDOCR_DEFAULT_LANGUAGES = ("en", "zh")
RAPIDOCR_MAX_SIDE = 4000  # px: an A4 page at 300 dpi is 3508 px high
RAPIDOCR_BOX_THRESH = 0.3  # detector score below which the engine drops a text region (its default 0.5)
# our ISO codes -> PaddleOCR 2.x/3.x `lang` names (French and Spanish use their own latin-script models)
PADDLE_LANGS = {"en": "en", "zh": "ch", "ja": "japan", "fr": "french", "ru": "ru", "es": "es", "de": "german",
                "ar": "arabic"}
# our ISO codes -> Tesseract traineddata names (Debian package: tesseract-ocr-<name with - for _>)
TESSERACT_LANGS = {"en": "eng", "zh": "chi_sim", "ja": "jpn", "fr": "fra", "ru": "rus", "es": "spa", "de": "deu",
                   "ar": "ara"}
TESSERACT_VERTICAL_LANGS = {"ja": "jpn_vert"}
# invisible direction marks Tesseract puts around Latin words and digits in Arabic lines: layout, not text
BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Tesseract models read together with a language's own (`rus+eng`), chosen per language by scripts/bench_ocr.py:
# Russian books print Latin drug and genus names that `rus` alone turns into look-alike Cyrillic (13% CER on the
# held-out pages, 0.6-3% with `rus+eng`). `jpn+eng` and `chi_sim+eng` changed nothing or lost; `ara+eng` read Latin
# names and clean pages better but noisy and low-contrast scans worse than `ara` (so `ara` alone, as plain
# Tesseract). Config: backend_options.tesseract_extra (the whole mapping; {} reads every language alone).
TESSERACT_EXTRA: dict[str, str] = {"ru": "eng"}

# backend: auto -> per language, the backends in order of measured character error rate on the held-out pages
# (scripts/bench_ocr.py; the table is in docs/data_collection_sources.md). The first one available is used. English:
# both read at <= 0.7% in every layout, Tesseract in a fifth of RapidOCR's time; Chinese: RapidOCR 0.0-0.3%,
# Tesseract chi_sim 2.0-3.6%.
AUTO: dict[str, tuple[str, ...]] = {
    "en": ("tesseract", "rapidocr"),
    "zh": ("rapidocr", "tesseract"),
    "ja": ("tesseract",),
    "fr": ("tesseract",),
    "ru": ("tesseract",),
    "es": ("tesseract",),
    "de": ("tesseract",),
    "ar": ("tesseract",),
}


class OcrBackendError(RuntimeError):
    """The chosen backend cannot run: not installed, a model missing, or a language it cannot read."""


@dataclass
class BackendOptions:
    """Model locations and threads; all optional (the defaults are the shipped or system-installed models)."""

    threads: int = field(default=0, metadata={"help": "engine threads per process (0 = the engine's default)"})
    rapidocr_det_model: str | None = field(default=None, metadata={"help": "ONNX detector (default: shipped PP-OCRv4)"})
    rapidocr_rec_model: str | None = field(default=None, metadata={"help": "ONNX recogniser (default: shipped PP-OCRv4 ch)"})
    rapidocr_rec_keys: str | None = field(default=None, metadata={"help": "character dict of a custom recogniser"})
    rapidocr_languages: list[str] = field(default_factory=lambda: list(RAPIDOCR_DEFAULT_LANGUAGES),
                                          metadata={"help": "languages the RapidOCR models can read"})
    tesseract_cmd: str = field(default="tesseract", metadata={"help": "Tesseract executable (name on PATH or path)"})
    tesseract_tessdata_dir: str | None = field(default=None,
                                               metadata={"help": "folder of *.traineddata (default: the engine's)"})
    tesseract_psm: int = field(default=3, metadata={"help": "Tesseract page segmentation mode (3 = automatic)"})
    tesseract_extra: dict[str, str] = field(
        default_factory=lambda: dict(TESSERACT_EXTRA),
        metadata={"help": "per language, Tesseract models read with its own, '+'-joined (ru: eng reads rus+eng)"})
    paddle_det_model_dir: str | None = field(default=None, metadata={"help": "PaddleOCR detection model dir"})
    paddle_rec_model_dir: str | None = field(default=None, metadata={"help": "PaddleOCR recognition model dir"})
    paddle_cls_model_dir: str | None = field(default=None, metadata={"help": "PaddleOCR angle classifier dir"})
    use_gpu: bool = field(default=False, metadata={"help": "PaddleOCR on GPU"})


def _missing_path(path: str | None, what: str) -> str | None:
    return f"{what} not found: {path}" if path is not None and not Path(path).exists() else None


class OcrBackend:
    """A registry entry: `languages()` it can read, `unavailable()` says why it cannot run here (None if it can).
    `lays_out`: its boxes carry the engine's own block/paragraph/line structure and reading order."""

    name: ClassVar[str]
    lays_out: ClassVar[bool] = False

    @classmethod
    def languages(cls, opts: BackendOptions) -> tuple[str, ...]:
        raise NotImplementedError

    @classmethod
    def unavailable(cls, lang: str, opts: BackendOptions, vertical: bool = False) -> str | None:
        raise NotImplementedError

    def recognise(self, image: np.ndarray, dpi: int = 0) -> list[Box]:
        raise NotImplementedError


class RapidOcrBackend(OcrBackend):
    name = "rapidocr"

    @classmethod
    def languages(cls, opts: BackendOptions) -> tuple[str, ...]:
        return tuple(opts.rapidocr_languages)

    @classmethod
    def unavailable(cls, lang: str, opts: BackendOptions, vertical: bool = False) -> str | None:
        if vertical:
            return "rapidocr reads horizontal lines only; vertical pages need the tesseract backend"
        if lang not in opts.rapidocr_languages:
            return (f"the rapidocr backend reads {', '.join(opts.rapidocr_languages)} only; for {lang!r} use "
                    f"`--backend auto` or `--backend tesseract`, or give a recogniser for {lang!r} with "
                    f"--backend_options.rapidocr_rec_model/--backend_options.rapidocr_rec_keys and add it to "
                    f"--backend_options.rapidocr_languages")
        for path, what in ((opts.rapidocr_det_model, "RapidOCR detector model"),
                           (opts.rapidocr_rec_model, "RapidOCR recogniser model"),
                           (opts.rapidocr_rec_keys, "RapidOCR character dict")):
            if reason := _missing_path(path, what):
                return reason
        return None

    def __init__(self, lang: str, opts: BackendOptions, vertical: bool = False):
        from rapidocr_onnxruntime import RapidOCR

        # Defaults that lose book text without a trace: the angle classifier turns some lines upside down (it reads
        # them as "s  s"), pages are shrunk to 2000 px on their long side before detection (small print melts), and
        # detections scored below 0.5 are dropped inside the engine. Book pages are upright: no classifier; the
        # page keeps its resolution; weak detections come back with their score so that our filter counts them.
        kwargs: dict[str, Any] = {"text_score": 0.0, "print_verbose": False, "use_cls": False,
                                  "max_side_len": RAPIDOCR_MAX_SIDE, "det_box_thresh": RAPIDOCR_BOX_THRESH}
        if opts.threads > 0:
            kwargs["intra_op_num_threads"] = opts.threads
        for key, path in (("det_model_path", opts.rapidocr_det_model), ("rec_model_path", opts.rapidocr_rec_model),
                          ("rec_keys_path", opts.rapidocr_rec_keys)):
            if path is not None:
                kwargs[key] = path
        self.engine = RapidOCR(**kwargs)

    def recognise(self, image: np.ndarray, dpi: int = 0) -> list[Box]:
        # RapidOCR expects BGR (OpenCV order); our pages are RGB. text_score=0 keeps every box for our filter.
        result, _elapsed = self.engine(np.ascontiguousarray(image[:, :, ::-1]), text_score=0.0, use_cls=False,
                                       box_thresh=RAPIDOCR_BOX_THRESH)
        return [box_from_quad(quad, text, score) for quad, text, score in (result or [])]


@functools.lru_cache(maxsize=8)
def _tesseract_packs(cmd: str, tessdata_dir: str | None) -> frozenset[str]:
    import pytesseract

    pytesseract.pytesseract.tesseract_cmd = cmd
    config = f'--tessdata-dir "{tessdata_dir}"' if tessdata_dir else ""
    return frozenset(pytesseract.get_languages(config=config))


def tesseract_pack(lang: str, vertical: bool = False) -> str | None:
    """The Tesseract language pack that reads `lang` (vertical: the `_vert` model), or None."""
    return (TESSERACT_VERTICAL_LANGS if vertical else TESSERACT_LANGS).get(lang)


def tesseract_models(lang: str, opts: BackendOptions, vertical: bool = False) -> list[str]:
    """The packs read together for `lang`: its own first, then backend_options.tesseract_extra[lang]."""
    own = tesseract_pack(lang, vertical)
    extra = [m for m in opts.tesseract_extra.get(lang, "").split("+") if m and m != own]
    return [own, *extra] if own else []


class TesseractBackend(OcrBackend):
    name = "tesseract"
    lays_out = True

    @classmethod
    def languages(cls, opts: BackendOptions) -> tuple[str, ...]:
        return tuple(TESSERACT_LANGS)

    @classmethod
    def unavailable(cls, lang: str, opts: BackendOptions, vertical: bool = False) -> str | None:
        pack = tesseract_pack(lang, vertical)
        if pack is None:
            known = sorted(TESSERACT_VERTICAL_LANGS if vertical else TESSERACT_LANGS)
            return f"no Tesseract {'vertical ' if vertical else ''}language pack mapped for {lang!r}; known: {known}"
        debian = f"tesseract-ocr-{pack.replace('_', '-')}"
        if shutil.which(opts.tesseract_cmd) is None:
            return (f"Tesseract not found (tesseract_cmd: {opts.tesseract_cmd}); install it with: "
                    f"sudo apt-get install -y tesseract-ocr {debian}")
        if reason := _missing_path(opts.tesseract_tessdata_dir, "Tesseract tessdata dir"):
            return reason
        installed = _tesseract_packs(opts.tesseract_cmd, opts.tesseract_tessdata_dir)
        for model in tesseract_models(lang, opts, vertical):
            if model not in installed:
                extra = "" if model == pack else f" (backend_options.tesseract_extra.{lang})"
                return (f"Tesseract language pack {model!r}{extra} is not installed; install it with: "
                        f"sudo apt-get install -y tesseract-ocr-{model.replace('_', '-')}")
        return None

    def __init__(self, lang: str, opts: BackendOptions, vertical: bool = False):
        import pytesseract

        self.pytesseract = pytesseract
        self.cmd = opts.tesseract_cmd
        self.pack = "+".join(tesseract_models(lang, opts, vertical))
        tessdata = f' --tessdata-dir "{opts.tesseract_tessdata_dir}"' if opts.tesseract_tessdata_dir else ""
        self.config = f"--oem 1 --psm {opts.tesseract_psm}{tessdata}"
        if opts.threads > 0:  # an OpenMP build would otherwise use every core in each of num_proc processes
            os.environ["OMP_THREAD_LIMIT"] = str(opts.threads)

    def recognise(self, image: np.ndarray, dpi: int = 0) -> list[Box]:
        """Words in Tesseract's reading order, each with its (block, paragraph, line): the engine's own layout.
        `dpi` is passed on: an image without it is taken for 70 dpi, and Tesseract then cuts CJK pages into
        fragments (a table page read at 82% CER against 3% with --dpi)."""
        self.pytesseract.pytesseract.tesseract_cmd = self.cmd
        config = f"{self.config} --dpi {dpi}" if dpi > 0 else self.config
        data = self.pytesseract.image_to_data(image, lang=self.pack, config=config,
                                              output_type=self.pytesseract.Output.DICT)
        boxes = []
        for i, text in enumerate(data["text"]):
            conf = float(data["conf"][i])
            if data["level"][i] != 5 or conf < 0 or not text.strip():  # level 5: a word; conf -1: not text
                continue
            x, y, w, h = (float(data[k][i]) for k in ("left", "top", "width", "height"))
            line = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
            boxes.append(Box(x, y, x + w, y + h, BIDI_MARKS.sub("", text), conf / 100.0, line))
        return boxes


class PaddleOcrBackend(OcrBackend):
    name = "paddleocr"

    @classmethod
    def languages(cls, opts: BackendOptions) -> tuple[str, ...]:
        return tuple(PADDLE_LANGS)

    @classmethod
    def unavailable(cls, lang: str, opts: BackendOptions, vertical: bool = False) -> str | None:
        if vertical:
            return "the paddleocr backend is used for horizontal lines only; vertical pages need tesseract"
        if lang not in PADDLE_LANGS:
            return f"no PaddleOCR model mapped for language {lang!r}; known: {sorted(PADDLE_LANGS)}"
        for path, what in ((opts.paddle_det_model_dir, "PaddleOCR detection model dir"),
                           (opts.paddle_rec_model_dir, "PaddleOCR recognition model dir"),
                           (opts.paddle_cls_model_dir, "PaddleOCR angle classifier dir")):
            if reason := _missing_path(path, what):
                return reason
        if opts.paddle_det_model_dir is None or opts.paddle_rec_model_dir is None:
            # PaddleOCR fetches missing models from the network at start-up; we never let it
            return ("the paddleocr backend reads models from disk only: give "
                    "--backend_options.paddle_det_model_dir and --backend_options.paddle_rec_model_dir")
        if importlib.util.find_spec("paddleocr") is None:
            return ("the paddleocr backend needs the `paddle` extra: pip install 'mmed[paddle]' "
                    "(paddleocr + paddlepaddle)")
        return None

    def __init__(self, lang: str, opts: BackendOptions, vertical: bool = False):
        try:
            paddleocr = importlib.import_module("paddleocr")
        except ImportError as err:
            raise OcrBackendError(
                "the paddleocr backend needs the `paddle` extra: pip install 'mmed[paddle]' "
                f"(paddleocr + paddlepaddle); import failed: {err}") from None
        self.v3 = str(getattr(paddleocr, "__version__", "2")).split(".")[0] not in ("", "0", "1", "2")
        self.use_cls = opts.paddle_cls_model_dir is not None
        self.engine = paddleocr.PaddleOCR(**self._engine_kwargs(self.v3, PADDLE_LANGS[lang], opts))

    @staticmethod
    def _engine_kwargs(v3: bool, paddle_lang: str, opts: BackendOptions) -> dict[str, Any]:
        use_cls = opts.paddle_cls_model_dir is not None  # without its model dir PaddleOCR would download it
        if v3:  # PaddleOCR 3.x renamed the model-dir arguments, reads with .predict() and adds document models
            kwargs = {"lang": paddle_lang, "text_detection_model_dir": opts.paddle_det_model_dir,
                      "text_recognition_model_dir": opts.paddle_rec_model_dir,
                      "textline_orientation_model_dir": opts.paddle_cls_model_dir,
                      "use_textline_orientation": use_cls, "use_doc_orientation_classify": False,
                      "use_doc_unwarping": False}
        else:
            kwargs = {"lang": paddle_lang, "use_angle_cls": use_cls, "show_log": False, "use_gpu": opts.use_gpu,
                      "det_model_dir": opts.paddle_det_model_dir, "rec_model_dir": opts.paddle_rec_model_dir,
                      "cls_model_dir": opts.paddle_cls_model_dir}
        return {k: v for k, v in kwargs.items() if v is not None}

    def recognise(self, image: np.ndarray, dpi: int = 0) -> list[Box]:
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        if self.v3:
            boxes = []
            for page in self.engine.predict(bgr):
                res = page.json.get("res", page) if hasattr(page, "json") else page
                for quad, text, score in zip(res["rec_polys"], res["rec_texts"], res["rec_scores"]):
                    boxes.append(box_from_quad(np.asarray(quad).tolist(), text, score))
            return boxes
        pages = self.engine.ocr(bgr, cls=self.use_cls) or []
        return [box_from_quad(quad, text, score) for page in pages for quad, (text, score) in (page or [])]


BACKENDS: dict[str, type[OcrBackend]] = {b.name: b for b in (RapidOcrBackend, TesseractBackend, PaddleOcrBackend)}
OcrBackendChoice = Literal["auto", "rapidocr", "tesseract", "paddleocr"]  # a config field's type
CHOICES: tuple[str, ...] = get_args(OcrBackendChoice)
assert set(CHOICES) == {"auto", *BACKENDS}, "OcrBackendChoice lists every backend"


def resolve_backend(name: str, lang: str, opts: BackendOptions | None = None, vertical: bool = False) -> str:
    """The backend that will read `lang`: `name` itself, or for `auto` the best available one; raises
    OcrBackendError (one line, with the fix) when none can run. Loads no model."""
    opts = opts or BackendOptions()
    if name != "auto":
        if name not in BACKENDS:
            raise OcrBackendError(f"unknown OCR backend {name!r}; choose one of {', '.join(CHOICES)}")
        if reason := BACKENDS[name].unavailable(lang, opts, vertical):
            raise OcrBackendError(reason)
        return name
    reasons = []
    for candidate in AUTO.get(lang, ()):
        reason = BACKENDS[candidate].unavailable(lang, opts, vertical)
        if reason is None:
            return candidate
        reasons.append(f"{candidate}: {reason}")
    raise OcrBackendError(f"no OCR backend can read {lang!r}{' vertical pages' if vertical else ''} here; "
                          + ("; ".join(reasons) or f"languages with an auto choice: {sorted(AUTO)}"))


def backend_models(name: str, lang: str, opts: BackendOptions, vertical: bool = False) -> str | None:
    """The models a resolved backend reads `lang` with, for the book record: Tesseract's `rus+eng`, else None."""
    return "+".join(tesseract_models(lang, opts, vertical)) if name == "tesseract" else None


def _options_key(opts: BackendOptions) -> tuple:
    """Hashable form of the options (lists become tuples, dicts tagged tuples of their items) for the cache."""
    def freeze(v: Any) -> Any:
        if isinstance(v, dict):
            return ("dict", tuple(sorted(v.items())))
        return tuple(v) if isinstance(v, list) else v
    return tuple((k, freeze(v)) for k, v in sorted(vars(opts).items()))


def _thaw(v: Any) -> Any:
    if isinstance(v, tuple) and len(v) == 2 and v[0] == "dict":
        return dict(v[1])
    return list(v) if isinstance(v, tuple) else v


@functools.lru_cache(maxsize=4)
def _cached_backend(name: str, lang: str, key: tuple, vertical: bool) -> OcrBackend:
    opts = BackendOptions(**{k: _thaw(v) for k, v in key})
    return BACKENDS[resolve_backend(name, lang, opts, vertical)](lang, opts, vertical)


def get_backend(name: str, lang: str, opts: BackendOptions | None = None, vertical: bool = False) -> OcrBackend:
    """The engine for (backend, language, options), built once per process (`name` may be `auto`)."""
    return _cached_backend(name, lang, _options_key(opts or BackendOptions()), vertical)
