"""Log-likelihood scoring (as lm-evaluation-harness): no generation, no parsing failures.

For each option X the continuation "###Answer: OPTION X IS CORRECT." is scored by the summed log-probability
of its tokens given the prompt (tokenised as fine-tuning does: the prompt with special tokens, the continuation
without), and the best option wins. All (question, option) pairs are scored in length-sorted batches with right
padding. Single-answer only: a multi-answer question can only get one letter this way (counted wrong).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from common.prompts import DEFAULT_STYLE, PromptStyle, get_style


def option_continuations(options: Sequence[str], style: PromptStyle | None = None) -> list[str]:
    style = style or get_style(DEFAULT_STYLE)
    return [style.answer_line([letter]) for letter in options]


@torch.inference_mode()
def score_sequences(model, pairs: Sequence[tuple[list[int], list[int]]], pad_id: int, batch_size: int,
                    device: torch.device) -> list[float]:
    """Summed log p(continuation | context) for each (context ids, continuation ids)."""
    order = sorted(range(len(pairs)), key=lambda i: -(len(pairs[i][0]) + len(pairs[i][1])))
    scores = [0.0] * len(pairs)
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        seqs = [pairs[i][0] + pairs[i][1] for i in chunk]
        width = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for row, seq in enumerate(seqs):
            ids[row, :len(seq)] = torch.tensor(seq)
            mask[row, :len(seq)] = 1
        logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits.float()
        logprobs = torch.log_softmax(logits, dim=-1).cpu()
        for row, i in enumerate(chunk):
            ctx, cont = pairs[i]
            # token t is predicted at position t-1
            positions = torch.arange(len(ctx) - 1, len(ctx) + len(cont) - 1)
            scores[i] = float(logprobs[row, positions, torch.tensor(cont)].sum())
    return scores


def loglik_choose(model, tokenizer, prompts: Sequence[str], options: Sequence[Sequence[str]], batch_size: int,
                  device: torch.device, style: PromptStyle | None = None) -> list[tuple[str, dict[str, float]]]:
    """For each prompt: (best letter, {letter: summed log-prob})."""
    pairs, owners = [], []
    for q, (prompt, letters) in enumerate(zip(prompts, options, strict=True)):
        ctx = tokenizer(prompt, add_special_tokens=True)["input_ids"]
        for letter, cont in zip(letters, option_continuations(letters, style)):
            pairs.append((ctx, tokenizer(cont, add_special_tokens=False)["input_ids"]))
            owners.append((q, letter))
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    scores = score_sequences(model, pairs, pad_id, batch_size, device)
    per_question: list[dict[str, float]] = [{} for _ in prompts]
    for (q, letter), score in zip(owners, scores):
        per_question[q][letter] = score
    return [(max(s, key=lambda k: (s[k], -ord(k))), s) for s in per_question]
