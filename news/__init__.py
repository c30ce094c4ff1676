"""News: crawled articles linked to the stocks they mention (N1-N3)."""
