"""Check a HF model, adapter or tokenizer dir before loading it: a damaged or unsafe file is one line naming it.

    check_model_files("artifacts/tiny-llama")        # config.json, *.safetensors (+ index), tokenizer files
    check_adapter_files("outputs/finetune/adapter")  # adapter_config.json, adapter_model.safetensors

transformers, PEFT and safetensors report a truncated file, a header that lies about its size or offsets, or a
broken config.json with tracebacks that name no file, and offer to retry with `weights_only=False`, i.e. to run the
code a pickled `.bin` may hold. Here only safetensors weights are loaded; `.bin`/`.pt`/`.pth` weights are refused
with the way out (convert them). The checks read headers and small JSON files only, never the tensors.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

from common.cli import UserError
from common.records import read_json_file

MAX_HEADER = 100 * 1024 * 1024  # the safetensors library's own limit
DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8, "U32": 4,
               "U16": 2, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1}
PICKLE_WEIGHTS = ("*.bin", "*.pt", "*.pth", "*.ckpt")
TOKENIZER_JSON = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def check_safetensors(path: str | Path) -> None:
    """The header of a .safetensors file fits the file and every tensor's bytes lie inside it."""
    p = Path(path)
    size = p.stat().st_size
    with open(p, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise UserError(f"{p}: not a safetensors file ({size} bytes; truncated?)")
        (n,) = struct.unpack("<Q", head)
        if n > MAX_HEADER or 8 + n > size:
            raise UserError(f"{p}: safetensors header of {n} bytes does not fit the file of {size} bytes "
                            "(truncated or not a safetensors file)")
        raw = f.read(n)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UserError(f"{p}: the safetensors header is not valid JSON (damaged file)") from None
    if not isinstance(header, dict):
        raise UserError(f"{p}: the safetensors header is not a JSON object (damaged file)")
    data_bytes = size - 8 - n
    for name, info in header.items():
        if name != "__metadata__":
            _check_tensor_entry(p, name, info, data_bytes)


def _check_tensor_entry(p: Path, name: str, info: object, data_bytes: int) -> None:
    try:
        begin, end = info["data_offsets"]
        shape, dtype = list(info["shape"]), info["dtype"]
        numel = math.prod(int(d) for d in shape)
    except (TypeError, KeyError, ValueError):
        raise UserError(f"{p}: tensor {name!r} has no valid dtype, shape and data_offsets (damaged file)") from None
    if not (isinstance(begin, int) and isinstance(end, int) and 0 <= begin <= end <= data_bytes):
        raise UserError(f"{p}: tensor {name!r} lies at bytes {begin}-{end}, outside the file's {data_bytes} data "
                        "bytes (truncated or damaged)")
    if dtype in DTYPE_BYTES and end - begin != numel * DTYPE_BYTES[dtype]:
        raise UserError(f"{p}: tensor {name!r} ({dtype} {shape}) needs {numel * DTYPE_BYTES[dtype]} bytes, its "
                        f"offsets give {end - begin} (damaged file)")


def _check_weights(folder: Path, names: tuple[str, ...], what: str) -> None:
    """The safetensors weights of a folder are whole; pickled weights alone are refused (loading could run code)."""
    files = [f for pattern in names for f in sorted(folder.glob(pattern))]
    if not files:
        pickled = [f.name for pattern in PICKLE_WEIGHTS for f in sorted(folder.glob(pattern))]
        if pickled:
            raise UserError(f"{folder}: the {what} weights are only pickle files ({', '.join(pickled[:3])}), which "
                            "are never loaded (unpickling can run code): convert them to safetensors (e.g. load "
                            "them once where you trust them and save_pretrained(..., safe_serialization=True))")
        raise UserError(f"{folder}: no {what} weights ({' or '.join(names)})")
    for f in files:
        check_safetensors(f)


# the files that hold a tokenizer's vocabulary: a dir with none of them cannot tokenize anything
VOCABULARY_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "vocab.txt")


def check_tokenizer_files(folder: str | Path, require_vocabulary: bool = False) -> Path:
    """The tokenizer's JSON files that are present parse (a truncated tokenizer.json is named here); with
    `require_vocabulary`, the folder also holds one of VOCABULARY_FILES (a tokenizer_config.json alone is not one)."""
    p = Path(folder)
    if require_vocabulary and not any((p / name).is_file() for name in VOCABULARY_FILES):
        raise UserError(f"{p}: no tokenizer vocabulary ({', '.join(VOCABULARY_FILES)}); give a HF tokenizer or model "
                        "dir (nothing is downloaded)")
    for name in TOKENIZER_JSON:
        if (p / name).is_file():
            read_json_file(p / name)
    return p


def check_model_files(model_dir: str | Path, weights: bool = True) -> Path:
    """config.json, the safetensors weights (shards of an index too; not with `weights=False`, for a command that
    reads only the config and tokenizer) and the tokenizer files of a HF model dir."""
    p = Path(model_dir)
    if not (p / "config.json").is_file():
        raise FileNotFoundError(f"model dir not found or has no config.json: {p} (nothing is downloaded; give a "
                                "local HF model dir, e.g. artifacts/tiny-llama from `python -m common.tiny_model`)")
    read_json_file(p / "config.json")
    if weights:
        _check_model_weights(p)
    return check_tokenizer_files(p)


def _check_model_weights(p: Path) -> None:
    index = p / "model.safetensors.index.json"
    if not index.is_file():
        _check_weights(p, ("*.safetensors",), "model")
        return
    shards = sorted(set(read_json_file(index).get("weight_map", {}).values()))
    missing = [s for s in shards if not (p / s).is_file()]
    if missing:
        raise UserError(f"{index}: names shards that are not there: {', '.join(missing[:3])}")
    for shard in shards:
        check_safetensors(p / shard)


def check_adapter_files(adapter_dir: str | Path) -> Path:
    """adapter_config.json and adapter_model.safetensors of a PEFT adapter dir."""
    p = Path(adapter_dir)
    if not (p / "adapter_config.json").is_file():
        raise FileNotFoundError(f"adapter not found: {p} (no adapter_config.json)")
    read_json_file(p / "adapter_config.json")
    _check_weights(p, ("adapter_model.safetensors",), "adapter")
    return check_tokenizer_files(p)
