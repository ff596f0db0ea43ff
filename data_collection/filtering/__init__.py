"""The keyword filter's machinery (`python -m data_collection.filter` is the command): keyword lists, text
normalisation, the byte-level matcher and its counts, the thresholds, and the datatrove filter block."""
