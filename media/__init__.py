"""Media: image uploads, variants and deduplication (M1-M7)."""
