"""Sections other apps add to a stock's page.

Apps above stocks (news, portfolio) have things to show there, but stocks may not import them
(see the import contract), so they register a panel from their AppConfig.ready() and the page
renders whatever is registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class StockPagePanel:
    """A template included on the stock page, with ``panel`` set to ``context(request, code)``."""

    name: str
    template_name: str
    context: Callable[[HttpRequest, str], dict[str, Any]]
    order: int = 100


_panels: dict[str, StockPagePanel] = {}


def register_stock_panel(panel: StockPagePanel) -> None:
    _panels[panel.name] = panel  # by name: a second ready() call replaces, not duplicates


def stock_panels_for(request: HttpRequest, code: str) -> list[dict[str, Any]]:
    """The registered panels in order, each as ``{"template_name", "context"}``."""
    return [
        {"template_name": panel.template_name, "context": panel.context(request, code)}
        for panel in sorted(_panels.values(), key=lambda panel: (panel.order, panel.name))
    ]
