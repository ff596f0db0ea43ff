from __future__ import annotations

import json

import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer

from common.tiny_model import TinyModelConfig, build_tiny_model


def test_tiny_model_roundtrip_generates_offline(tiny_model_dir):
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert (tiny_model_dir / "model.safetensors").exists()
    assert tok.pad_token_id is not None and tok.eos_token_id is not None and tok.bos_token_id is not None
    text = "高血圧の治療 Hypertension treatment лечение"
    ids = tok(text, return_tensors="pt")
    assert ids.input_ids[0, 0].item() == tok.bos_token_id
    assert tok.decode(ids.input_ids[0], skip_special_tokens=True) == text
    out = model.generate(**ids, max_new_tokens=4, do_sample=False, pad_token_id=tok.pad_token_id)
    assert out.shape[1] == ids.input_ids.shape[1] + 4


def test_tiny_model_is_deterministic(tiny_model_dir, tmp_path, samples_dir):
    again = build_tiny_model(TinyModelConfig(output=str(tmp_path / "again"), samples=str(samples_dir)))
    a, b = load_file(tiny_model_dir / "model.safetensors"), load_file(again / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    vocab = lambda d: json.loads((d / "tokenizer.json").read_text())["model"]["vocab"]  # noqa: E731
    assert vocab(tiny_model_dir) == vocab(again)


def test_no_token_crosses_the_prompt_response_boundary(tiny_model_dir):
    """The prompt and the response are tokenized apart in fine-tuning and generation; tokenized together they must
    give the same tokens, so the model is never taught or shown a token that spans "### Response:" and "###Answer:"
    (a merge such as ":###" made a model write "###Answer:###Answer:..." forever)."""
    from common.languages import MMEDBENCH_LANGUAGES
    from common.prompts import MODES, STYLES
    from common.tiny_model import TAGS

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    options = {"A": "Lipase", "B": "Amylase", "C": "Trypsin"}
    for style in STYLES.values():
        for language in MMEDBENCH_LANGUAGES:
            for mode in MODES:
                prompt = style.build_prompt("Which enzyme?", options, language, mode)
                response = style.format_response(mode, ["A", "C"], "Lipase rises in pancreatitis.")
                apart = tok(prompt).input_ids + tok(response, add_special_tokens=False).input_ids
                assert tok(prompt + response).input_ids == apart, (style.name, language, mode)
    vocab = tok.get_vocab()
    assert all(tag in vocab for tag in TAGS)
    assert not [t for t in vocab if "#" in t and t.strip("#") and t not in TAGS]  # "#" merges with nothing else
    answer = tok("###Answer: OPTION A,C IS CORRECT.", add_special_tokens=False).input_ids
    assert tok.convert_ids_to_tokens(answer)[0] == "###Answer:"


def test_chat_template_renders_the_plain_transcript(tiny_model_dir):
    """Chat servers (`transformers serve`) need a chat template; the tiny model's gives the transcript a template-less
    client would send, after BOS, as the same tokens."""
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    messages = [{"role": "system", "content": "You rate rationales."},
                {"role": "user", "content": "R1: Lipase rises. 高血圧"}]
    transcript = "System: You rate rationales.\n\nUser: R1: Lipase rises. 高血圧\n\nAssistant:"
    assert tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True) == tok.bos_token + transcript
    ids = tok.apply_chat_template(messages, tokenize=True, add_generation_prompt=True, return_dict=True)["input_ids"]
    assert ids == tok(transcript).input_ids and ids[0] == tok.bos_token_id
