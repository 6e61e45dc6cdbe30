"""Which character separates a CSV file's fields, told from its first lines.

A `;`-separated file read with `,` silently becomes one column named ``a;"b";...``, so extract
never assumes: `sniff` parses the first lines with each candidate delimiter and keeps the one
that splits every line into the same number of fields, more than one. A file that no
candidate splits is one column; a file that two candidates split consistently into different
shapes is ambiguous, and the error says to set ``sep``.

>>> sniff('age;"job";y\\n41;"admin.";no\\n', "x.csv")
';'
>>> sniff("a,b\\n1,2\\n", "x.csv")
','
>>> sniff("only\\n1\\n2\\n", "x.csv")
','
"""

from __future__ import annotations

import csv
import io
from typing import Any

from mlops_tasks.errors import DataError

CANDIDATES = (",", ";", "\t", "|")
SAMPLE_BYTES = 64 * 1024
SAMPLE_LINES = 50


def sniff(sample: str, uri: str) -> str:
    """The delimiter of a CSV sample (its first lines); `,` for a one-column file."""
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample cut the last line short
    text = "".join(lines[:SAMPLE_LINES])
    fits: dict[str, int] = {}
    for delimiter in CANDIDATES:
        try:
            widths = {len(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter) if row}
        except csv.Error:
            continue
        if len(widths) == 1 and (width := widths.pop()) > 1:
            fits[delimiter] = width
    if not fits:
        return ","
    if len(fits) == 1:
        return next(iter(fits))
    # Several delimiters split every line, header included, evenly: guessing could silently
    # give the wrong columns, so refuse and say how to choose.
    shown = ", ".join(f"{d!r} gives {n} columns" for d, n in fits.items())
    raise DataError(
        f"extract: cannot tell the delimiter of {uri}: {shown}; set sep (e.g. sep: ';')"
    )


def sniff_file(fs: Any, path: str, uri: str) -> str:
    """`sniff` on the first `SAMPLE_BYTES` of a (possibly compressed) file."""
    with fs.open(path, "rb", compression="infer") as fh:
        head = fh.read(SAMPLE_BYTES)
    return sniff(head.decode("utf-8", errors="replace"), uri)
