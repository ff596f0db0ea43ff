"""Corpus assembly behind `python -m data_collection.build_corpus`: its config, the clean stage (normalise,
boilerplate, language ID), the dedup/decontamination stages on datatrove MinHash, and the corpus statistics."""
