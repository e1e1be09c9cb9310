"""PDF text layer and OCR fallback. Built in a later issue (#5)."""
