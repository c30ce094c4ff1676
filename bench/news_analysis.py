"""Quality of the local article analysis (L9) on the labelled set kept in the tests."""

from __future__ import annotations

from news.analysis import sentiment_of
from tests.news.labelled import LABELLED, linking_counts, sentiment_accuracy

LABELS = ("positive", "neutral", "negative")


def run(env: dict[str, str]) -> str:
    true_pos, false_pos, false_neg = linking_counts()
    rows = []
    for label in LABELS:
        predicted = [sentiment_of(text).label == label for text, _, _ in LABELLED]
        actual = [truth == label for _, _, truth in LABELLED]
        hits = sum(p and a for p, a in zip(predicted, actual, strict=True))
        precision = hits / max(1, sum(predicted))
        recall = hits / max(1, sum(actual))
        rows.append(f"| sentiment: {label} | {precision:.2f} | {recall:.2f} | {sum(actual)} |")
    accuracy = sentiment_accuracy()
    return "\n".join([
        "## News analysis (stock linking and sentiment)",
        "",
        f"The labelled set in `tests/news/labelled.py`: {len(LABELLED)} Korean and English "
        "headlines with the stocks they name and their sentiment. Linking is a leftmost-longest "
        "dictionary match of codes and names; sentiment a Korean + English finance lexicon.",
        "",
        "| task | precision | recall | labelled |",
        "|---|---:|---:|---:|",
        f"| stock linking | {true_pos / max(1, true_pos + false_pos):.2f} | "
        f"{true_pos / max(1, true_pos + false_neg):.2f} | {true_pos + false_neg} links |",
        *rows,
        "",
        f"Sentiment accuracy: {accuracy:.2f}. The lexicon and this set were written together, so "
        "these are in-sample figures: an upper bound, not a measure on unseen news.",
    ])  # fmt: skip
