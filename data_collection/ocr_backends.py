"""OCR backends: RapidOCR (default, offline, shipped models) and PaddleOCR (optional extra `paddle`).

Both take an RGB page image (numpy array, H x W x 3, uint8) and return `Box`es with their recognition confidence.
Nothing is filtered by confidence here: the caller drops and counts low-confidence boxes, so the threshold is one
config value and its effect is visible in the run summary.

An engine is built once per process and language (`get_backend` caches it): model loading costs far more than one
page.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from data_collection.reading_order import Box, box_from_quad

BACKENDS = ("rapidocr", "paddleocr")
# PP-OCRv4 Chinese models (the ones in the rapidocr_onnxruntime wheel) read Chinese and English (ASCII) text.
RAPIDOCR_DEFAULT_LANGUAGES = ("en", "zh")
# our ISO codes -> PaddleOCR 2.x/3.x `lang` names (French and Spanish use their own latin-script models)
PADDLE_LANGS = {"en": "en", "zh": "ch", "ja": "japan", "fr": "french", "ru": "ru", "es": "es", "de": "german",
                "ar": "arabic"}


class OcrBackendError(RuntimeError):
    """The chosen backend cannot run: not installed, a model missing, or a language it cannot read."""


@dataclass
class BackendOptions:
    """Model locations and threads; all optional (the defaults are the models shipped with the package)."""

    threads: int = field(default=0, metadata={"help": "ONNX Runtime intra-op threads per process (0 = runtime default)"})
    rapidocr_det_model: str | None = field(default=None, metadata={"help": "ONNX detector (default: shipped PP-OCRv4)"})
    rapidocr_rec_model: str | None = field(default=None, metadata={"help": "ONNX recogniser (default: shipped PP-OCRv4 ch)"})
    rapidocr_rec_keys: str | None = field(default=None, metadata={"help": "character dict of a custom recogniser"})
    rapidocr_languages: list[str] = field(default_factory=lambda: list(RAPIDOCR_DEFAULT_LANGUAGES),
                                          metadata={"help": "languages the RapidOCR models can read"})
    paddle_det_model_dir: str | None = field(default=None, metadata={"help": "PaddleOCR detection model dir"})
    paddle_rec_model_dir: str | None = field(default=None, metadata={"help": "PaddleOCR recognition model dir"})
    paddle_cls_model_dir: str | None = field(default=None, metadata={"help": "PaddleOCR angle classifier dir"})
    use_gpu: bool = field(default=False, metadata={"help": "PaddleOCR on GPU"})


class OcrBackend(Protocol):
    name: str

    def recognise(self, image: np.ndarray) -> list[Box]: ...


def _check_path(path: str | None, what: str) -> None:
    if path is not None and not Path(path).exists():
        raise OcrBackendError(f"{what} not found: {path}")


class RapidOcrBackend:
    name = "rapidocr"

    def __init__(self, lang: str, opts: BackendOptions):
        if lang not in opts.rapidocr_languages:
            raise OcrBackendError(
                f"the rapidocr backend reads {', '.join(opts.rapidocr_languages)} only; for {lang!r} use "
                f"`--backend paddleocr` (pip install 'mmed[paddle]') or give a recogniser for {lang!r} with "
                f"--backend_options.rapidocr_rec_model/--backend_options.rapidocr_rec_keys and add it to "
                f"--backend_options.rapidocr_languages")
        from rapidocr_onnxruntime import RapidOCR

        kwargs: dict[str, Any] = {"text_score": 0.0, "print_verbose": False}
        if opts.threads > 0:
            kwargs["intra_op_num_threads"] = opts.threads
        for key, path, what in (("det_model_path", opts.rapidocr_det_model, "RapidOCR detector model"),
                                ("rec_model_path", opts.rapidocr_rec_model, "RapidOCR recogniser model"),
                                ("rec_keys_path", opts.rapidocr_rec_keys, "RapidOCR character dict")):
            _check_path(path, what)
            if path is not None:
                kwargs[key] = path
        self.engine = RapidOCR(**kwargs)

    def recognise(self, image: np.ndarray) -> list[Box]:
        # RapidOCR expects BGR (OpenCV order); our pages are RGB. text_score=0 keeps every box for our filter.
        result, _elapsed = self.engine(np.ascontiguousarray(image[:, :, ::-1]), text_score=0.0)
        return [box_from_quad(quad, text, score) for quad, text, score in (result or [])]


class PaddleOcrBackend:
    name = "paddleocr"

    def __init__(self, lang: str, opts: BackendOptions):
        if lang not in PADDLE_LANGS:
            raise OcrBackendError(f"no PaddleOCR model mapped for language {lang!r}; known: {sorted(PADDLE_LANGS)}")
        for path, what in ((opts.paddle_det_model_dir, "PaddleOCR detection model dir"),
                           (opts.paddle_rec_model_dir, "PaddleOCR recognition model dir"),
                           (opts.paddle_cls_model_dir, "PaddleOCR angle classifier dir")):
            _check_path(path, what)
        try:
            paddleocr = importlib.import_module("paddleocr")
        except ImportError as err:
            raise OcrBackendError(
                "the paddleocr backend needs the `paddle` extra: pip install 'mmed[paddle]' "
                f"(paddleocr + paddlepaddle); import failed: {err}") from None
        self.v3 = str(getattr(paddleocr, "__version__", "2")).split(".")[0] not in ("", "0", "1", "2")
        self.engine = paddleocr.PaddleOCR(**self._engine_kwargs(self.v3, PADDLE_LANGS[lang], opts))

    @staticmethod
    def _engine_kwargs(v3: bool, paddle_lang: str, opts: BackendOptions) -> dict[str, Any]:
        if v3:  # PaddleOCR 3.x renamed the model-dir arguments and reads with .predict()
            kwargs = {"lang": paddle_lang, "text_detection_model_dir": opts.paddle_det_model_dir,
                      "text_recognition_model_dir": opts.paddle_rec_model_dir,
                      "use_textline_orientation": True}
        else:
            kwargs = {"lang": paddle_lang, "use_angle_cls": True, "show_log": False, "use_gpu": opts.use_gpu,
                      "det_model_dir": opts.paddle_det_model_dir, "rec_model_dir": opts.paddle_rec_model_dir,
                      "cls_model_dir": opts.paddle_cls_model_dir}
        return {k: v for k, v in kwargs.items() if v is not None}

    def recognise(self, image: np.ndarray) -> list[Box]:
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        if self.v3:
            boxes = []
            for page in self.engine.predict(bgr):
                res = page.json.get("res", page) if hasattr(page, "json") else page
                for quad, text, score in zip(res["rec_polys"], res["rec_texts"], res["rec_scores"]):
                    boxes.append(box_from_quad(np.asarray(quad).tolist(), text, score))
            return boxes
        pages = self.engine.ocr(bgr, cls=True) or []
        return [box_from_quad(quad, text, score) for page in pages for quad, (text, score) in (page or [])]


def _options_key(opts: BackendOptions) -> tuple:
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(vars(opts).items()))


@functools.lru_cache(maxsize=4)
def _cached_backend(name: str, lang: str, key: tuple) -> OcrBackend:
    opts = BackendOptions(**{k: list(v) if isinstance(v, tuple) else v for k, v in key})
    if name == "rapidocr":
        return RapidOcrBackend(lang, opts)
    if name == "paddleocr":
        return PaddleOcrBackend(lang, opts)
    raise OcrBackendError(f"unknown OCR backend {name!r}; choose one of {BACKENDS}")


def get_backend(name: str, lang: str, opts: BackendOptions | None = None) -> OcrBackend:
    """The engine for (backend, language, options), built once per process."""
    return _cached_backend(name, lang, _options_key(opts or BackendOptions()))


def check_backend(name: str, lang: str, opts: BackendOptions | None = None) -> None:
    """Fail fast, before any book is opened, when the backend cannot read `lang` (no model is loaded)."""
    opts = opts or BackendOptions()
    if name not in BACKENDS:
        raise OcrBackendError(f"unknown OCR backend {name!r}; choose one of {BACKENDS}")
    if name == "rapidocr" and lang not in opts.rapidocr_languages:
        RapidOcrBackend(lang, opts)  # raises the explanatory error
    if name == "paddleocr":
        if lang not in PADDLE_LANGS:
            raise OcrBackendError(f"no PaddleOCR model mapped for language {lang!r}; known: {sorted(PADDLE_LANGS)}")
        if importlib.util.find_spec("paddleocr") is None:
            raise OcrBackendError("the paddleocr backend needs the `paddle` extra: pip install 'mmed[paddle]' "
                                  "(paddleocr + paddlepaddle)")
