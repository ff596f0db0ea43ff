"""What the source commands (`data_collection.ocr`, `.web`, `.corpora`) read with: PDF pages, OCR engines and
their reading order, OCR quality, the encodings of saved web pages."""
