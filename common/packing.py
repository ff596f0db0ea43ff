"""Document-masked packing: a packed sequence (documents joined with EOS, pretrain.tokenize's pack mode) in which
every document attends only to itself.

The position ids restart at every document (the token after an EOS starts one). Given position ids and no
attention mask, transformers builds the block-diagonal causal mask itself (masking_utils'
find_packed_sequence_indices: SDPA and eager get the block mask, flash_attention_2 variable-length sequences),
so the model code is unchanged (it does so only without a KV cache: the trainer calls the model with
use_cache=False). The label of a document's first token is dropped: predicting it from the end of
another document is a cross-document signal too.

    batch = document_masked(collate(rows), eos_id)   # adds position_ids, masks the first label of each document
"""

from __future__ import annotations

import torch


def document_starts(input_ids: torch.Tensor, eos_id: int) -> torch.Tensor:
    """(B, T) bool: True where a document starts (position 0 of the row, and every token after an EOS)."""
    starts = torch.zeros_like(input_ids, dtype=torch.bool)
    starts[:, 0] = True
    starts[:, 1:] = input_ids[:, :-1] == eos_id
    return starts


def document_position_ids(input_ids: torch.Tensor, eos_id: int) -> torch.Tensor:
    """(B, T) int64 position of each token within its own document."""
    starts = document_starts(input_ids, eos_id)
    index = torch.arange(input_ids.shape[1], device=input_ids.device).expand_as(input_ids)
    last_start = torch.where(starts, index, torch.zeros_like(index)).cummax(dim=1).values
    return index - last_start


def document_masked(batch: dict[str, torch.Tensor], eos_id: int) -> dict[str, torch.Tensor]:
    """The batch with `position_ids` restarting per document and the label of each document's first token
    (except a row's first, which no position predicts) set to -100. A batch with an attention mask (window
    mode's padding) is refused: its rows hold one document each already."""
    if "attention_mask" in batch:
        raise ValueError("document masking is for packed sequences (pretrain.tokenize --mode pack); this data "
                         "has an attention mask (window mode): each row is one document already")
    ids = batch["input_ids"]
    starts = document_starts(ids, eos_id)
    starts[:, 0] = False
    labels = batch["labels"].masked_fill(starts, -100)
    return {**batch, "labels": labels, "position_ids": document_position_ids(ids, eos_id)}
