"""Pipelines: the branch-organised catalogue of periodic jobs (L1-L9)."""
