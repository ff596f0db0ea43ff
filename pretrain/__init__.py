"""Continued pretraining: tokenize/chunk the corpus, train with FSDP2, export to a HF model dir."""
