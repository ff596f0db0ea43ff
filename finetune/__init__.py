"""Fine-tuning on MMedBench (full with FSDP2, or LoRA), and adapter merging."""
