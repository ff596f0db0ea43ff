"""Build the tiny offline base model: a byte-level BPE tokenizer trained on `samples/` and a small Llama.

    python -m common.tiny_model --output artifacts/tiny-llama

The result is a normal HF model dir (config.json, model.safetensors, tokenizer files) that
`AutoTokenizer.from_pretrained` and `AutoModelForCausalLM.from_pretrained` load offline. It is the default base
model of every `configs/*/tiny*.yaml`, so the whole pipeline runs on a laptop CPU. Same seed, same files.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from common.cli import cli
from common.config import load_config

REPO_ROOT = Path(__file__).resolve().parent.parent
BOS, EOS, PAD = "<|begin_of_text|>", "<|end_of_text|>", "<|pad|>"
# the tags of the prompt formats (common/prompts.py), each one whole token: the prompt ends with "### Response:" and
# the response starts with "###Answer:" or "###Rationale:", so the last prompt token and the first response token
# are distinct whole tags (no merge can cross them, and "Answer:" is never confused with "Response:")
TAGS = ("### Instruction:", "### Input:", "### Response:", "###Question:", "###Options:", "###Rationale:",
        "###Answer:")
# a chat template, so OpenAI-compatible servers (`transformers serve`) can run the tiny model as a chat model (the LLM
# judge's demo and tests): the plain transcript "System: ...\n\nUser: ...\n\nAssistant:" after BOS, the same tokens
# a chat client without a template would feed it
# (the blank lines are Jinja strings: transformers renders with trim_blocks, which eats a newline after a tag)
CHAT_TEMPLATE = ("{{ bos_token }}{% for m in messages %}{% if not loop.first %}{{ '\\n\\n' }}{% endif %}"
                 "{{ m['role'] | capitalize }}: {{ m['content'] }}{% endfor %}"
                 "{% if add_generation_prompt %}{{ '\\n\\nAssistant:' }}{% endif %}")


@dataclass
class TinyModelConfig:
    output: str = field(default="artifacts/tiny-llama", metadata={"help": "output HF model dir"})
    samples: str = field(default=str(REPO_ROOT / "samples"), metadata={"help": "folder of texts to train the BPE on"})
    vocab_size: int = field(default=4096, metadata={"help": "BPE vocabulary size (incl. 256 byte symbols)"})
    hidden_size: int = field(default=64, metadata={"help": "model width"})
    num_layers: int = field(default=2, metadata={"help": "decoder layers"})
    num_heads: int = field(default=4, metadata={"help": "attention heads"})
    num_kv_heads: int = field(default=2, metadata={"help": "key/value heads (GQA, as Llama 3)"})
    intermediate_size: int = field(default=192, metadata={"help": "MLP width"})
    max_position_embeddings: int = field(default=4096, metadata={"help": "longest sequence"})
    seed: int = field(default=0, metadata={"help": "weight initialisation seed"})


def iter_sample_texts(samples: Path) -> Iterator[str]:
    """Every text under samples/: MMedBench questions/options/rationales, web docs, plain text files."""
    from common.records import iter_records

    for path in sorted(samples.rglob("*")):
        # samples/benchmarks holds evaluation-only benchmark files: kept out so the tiny model (and every test
        # pinned to its tokens) does not change when a benchmark sample is added
        if not path.is_file() or path.relative_to(samples).parts[0] == "benchmarks":
            continue
        name = path.name
        if name.endswith((".jsonl", ".jsonl.gz", ".parquet")):
            for _, rec in iter_records(path, on_bad_record="skip", rejects=_NullRejects()):
                yield from _strings(rec)
        elif name.endswith((".txt", ".tsv", ".html", ".json", ".csv")):
            yield path.read_text(encoding="utf-8", errors="replace")


class _NullRejects:
    """The tokenizer corpus tolerates the samples' deliberately malformed lines (they exist to test errors)."""

    count = 0

    def add(self, where: str, reason: str, raw: object = None) -> None:
        self.count += 1


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def prompt_texts() -> list[str]:
    """The fixed prompt scaffolding in every language, so it tokenizes into few tokens (short prompts)."""
    from common.languages import MMEDBENCH_LANGUAGES
    from common.prompts import MODES, STYLES

    options = {"A": "-", "B": "-", "C": "-", "D": "-", "E": "-"}
    texts = []
    for style in STYLES.values():
        for language in MMEDBENCH_LANGUAGES:
            for mode in MODES:
                texts.append(style.build_prompt("-", options, language, mode)
                             + style.format_response(mode, ["A", "C"], "-"))
    return texts


def train_tokenizer(texts: list[str], vocab_size: int):
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    # runs of "#" are pre-tokens of their own, so no merge crosses a "###" tag: the prompt ends "### Response:" and
    # the response starts "###Answer:", which are tokenized apart (finetune.data, generation); a merge such as ":###"
    # learned from the joined text would be a token that fine-tuning never shows and generation then emits
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"#+"), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[BOS, EOS, PAD],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    # added (not special) tokens: matched before pre-tokenization, and kept when decoding skips special tokens
    tok.add_tokens([AddedToken(tag, normalized=False) for tag in TAGS])
    bos_id = tok.token_to_id(BOS)
    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B", special_tokens=[(BOS, bos_id)]
    )
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=BOS, eos_token=EOS, pad_token=PAD,
                                   model_max_length=4096, chat_template=CHAT_TEMPLATE)


def build_tiny_model(cfg: TinyModelConfig) -> Path:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    out = Path(cfg.output)
    samples = Path(cfg.samples)
    if not samples.is_dir():
        raise FileNotFoundError(f"samples folder not found: {samples}")
    texts = sorted(set(t for t in iter_sample_texts(samples) if t.strip()))
    if not texts:
        raise ValueError(f"{samples}: no texts to train the tokenizer on")
    texts += prompt_texts()
    tokenizer = train_tokenizer(texts, cfg.vocab_size)

    torch.manual_seed(cfg.seed)
    model_cfg = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=cfg.hidden_size,
        intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_layers,
        num_attention_heads=cfg.num_heads,
        num_key_value_heads=cfg.num_kv_heads,
        max_position_embeddings=cfg.max_position_embeddings,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
        rope_theta=500000.0,
    )
    model = LlamaForCausalLM(model_cfg)
    # greedy decoding by default, so nothing samples unless a caller asks for it
    model.generation_config.do_sample = False
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    (out / "tiny_model.json").write_text(json.dumps({"texts": len(texts), "vocab": len(tokenizer),
                                                     "params": sum(p.numel() for p in model.parameters()),
                                                     "seed": cfg.seed}, indent=2) + "\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> None:
    cfg = load_config(TinyModelConfig, argv, description=__doc__, prog="python -m common.tiny_model")
    out = build_tiny_model(cfg)
    info = json.loads((out / "tiny_model.json").read_text(encoding="utf-8"))
    print(f"tiny model written to {out}: {info['params']:,} parameters, vocab {info['vocab']}, "
          f"tokenizer trained on {info['texts']} texts")


if __name__ == "__main__":
    sys.exit(cli(main, "python -m common.tiny_model"))
