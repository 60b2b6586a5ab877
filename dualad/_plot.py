"""Optional figures for the demo and the examples (matplotlib is the ``plot`` extra).

Without matplotlib nothing is drawn and :func:`save_figure` says how to install it.

>>> from dualad._plot import INSTALL_HINT
>>> "pip install" in INSTALL_HINT
True
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

INSTALL_HINT = ('matplotlib is not installed, so no figure was drawn; install the plot extra '
                'with  pip install -e ".[plot]"  (or  pip install matplotlib)')

_hinted: list = []  # the install hint is printed once per process


def pyplot() -> Any:
    """``matplotlib.pyplot`` with a file-only backend, or None if matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(path: str | Path, series: Sequence[tuple], title: str = "", xlabel: str = "x",
                ylabel: str = "y", logy: bool = False) -> Path | None:
    """Draw line plots ``(x, y, label)`` (or ``(x, y, label, style)``) into the PNG ``path``.

    Returns the path written, or None (after printing how to install matplotlib).
    """
    plt = pyplot()
    if plt is None:
        if not _hinted:
            _hinted.append(True)
            print(INSTALL_HINT)
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for item in series:
        x, y, label = item[:3]
        style = item[3] if len(item) > 3 else "-"
        ax.plot(x, y, style, label=label)
    if logy:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"wrote {path}")
    return path
