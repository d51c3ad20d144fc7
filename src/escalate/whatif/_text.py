"""Plain-text tables: columns padded to their widest line, cells of several lines.

>>> print(table(("at", "what"), [(("09:00",), ("start", "clock running")), (("09:30",), ())]))
at     what
-----  -------------
09:00  start
       clock running
09:30
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["table"]

_GAP = "  "


def table(headers: Sequence[str], rows: Sequence[Sequence[Sequence[str]]]) -> str:
    """``rows`` under ``headers``: each row a cell per column, each cell a sequence of lines
    (an empty cell is an empty sequence). Trailing spaces are cut from every line."""
    widths = [len(h) for h in headers]
    for row in rows:
        for c, cell in enumerate(row):
            widths[c] = max([widths[c], *(len(line) for line in cell)])
    lines = [_line(headers, widths), _line(["-" * w for w in widths], widths)]
    for row in rows:
        height = max([1, *(len(cell) for cell in row)])
        for k in range(height):
            lines.append(_line([cell[k] if k < len(cell) else "" for cell in row], widths))
    return "\n".join(lines)


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return _GAP.join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
