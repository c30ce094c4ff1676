"""bench/run.py's index: one row per benchmark, saying what it compares in full."""

from __future__ import annotations

from bench import portfolio_summary, run


def test_every_benchmark_has_an_area_and_a_one_line_summary():
    for module in run.BENCHMARKS:
        name = module.__name__.removeprefix("bench.")
        summary = run._summary(module)
        assert name in run.AREAS, name
        assert summary and "\n" not in summary and not summary.endswith("."), name


def test_a_summary_is_the_whole_first_paragraph_not_its_first_line():
    summary = run._summary(portfolio_summary)
    assert summary.startswith("Portfolio summary at 5,000 and 20,000 transactions")
    assert summary.endswith("measured in one run")
    assert "  " not in summary
