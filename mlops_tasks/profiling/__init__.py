"""Column statistics from mergeable partials (see `partials` and `sketches`).

>>> import pyarrow as pa
>>> table = pa.table({"x": [1.0, 2.0, 3.0, None], "c": ["a", "b", "a", "a"]})
>>> stats = profile_table(table)
>>> stats["x"]["mean"], stats["x"]["nulls"], stats["c"]["top"][0]
(2.0, 1, {'value': 'a', 'count': 3})
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import reduce
from typing import Any

from mlops_tasks.profiling.partials import (
    QUANTILES,
    ColumnPartial,
    Tallies,
    describe,
    finite_values,
    kind_of,
)

DEFAULT_BINS = 10
PARTIAL_ROWS = 1 << 20  # rows summarised by one partial


def profile_column(
    name: str, chunks: list[Any], *, top_k: int = 10, bins: int = DEFAULT_BINS
) -> dict[str, Any]:
    """Statistics of one column given as Arrow chunks: partial per chunk, merged, then pass 2.

    Each chunk's sample is seeded by the column name and the chunk's position, so the same
    data in the same chunks always gives the same profile (and the same artifact hash).
    """
    import pyarrow as pa

    if not (
        chunks and pa.types.is_dictionary(chunks[0].type)
    ):  # dictionaries may differ per chunk: kept apart
        chunks = _regroup(chunks)
    # Numeric chunks are converted to finite float64 once, for both passes.
    numbers = [finite_values(c) if kind_of(c.type) == "numeric" else None for c in chunks]
    seed = zlib.crc32(name.encode())
    partial = merge_partials(
        ColumnPartial.of(c, seed=(seed, i), numbers=n)
        for i, (c, n) in enumerate(zip(chunks, numbers))
    )
    edges = partial.histogram_edges(bins)
    tallies = reduce(
        Tallies.merge,
        (Tallies.of(c, partial, edges, numbers=n) for c, n in zip(chunks, numbers)),
        Tallies(),
    )
    return describe(partial, tallies, edges, top_k=top_k)


def _regroup(chunks: list[Any], rows: int = PARTIAL_ROWS) -> list[Any]:
    """Consecutive chunks joined to about `rows` each: Parquet readers hand out 64k-row batches,
    and a partial has a fixed cost (sample, sketches) worth paying per million rows, not per batch."""
    import pyarrow as pa

    groups: list[list[Any]] = [[]]
    size = 0
    for chunk in chunks:
        if size >= rows:
            groups.append([])
            size = 0
        groups[-1].append(chunk)
        size += len(chunk)
    return [g[0] if len(g) == 1 else pa.chunked_array(g).combine_chunks() for g in groups if g]


def merge_partials(partials: Iterable[ColumnPartial]) -> ColumnPartial:
    return reduce(ColumnPartial.merge, partials)


def profile_table(
    table: Any, columns: list[str] | None = None, *, top_k: int = 10, bins: int = DEFAULT_BINS
) -> dict[str, dict[str, Any]]:
    """Statistics of every (or the named) column of an Arrow table, one partial per chunk."""
    names = columns or table.column_names
    return dict(
        zip(
            names,
            in_threads(
                lambda name: profile_column(
                    name, table.column(name).chunks, top_k=top_k, bins=bins
                ),
                names,
            ),
        )
    )


def in_threads(fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    """``[fn(item) for item in items]`` on a few threads, results in order.

    Columns are independent and Arrow and numpy release the GIL in their kernels, so
    profiling columns side by side uses the machine's cores (results do not depend on it).
    """
    workers = min(len(items), os.cpu_count() or 1, 4)
    if workers <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(workers, thread_name_prefix="profile") as pool:
        return list(pool.map(fn, items))


__all__ = [
    "QUANTILES",
    "ColumnPartial",
    "Tallies",
    "describe",
    "in_threads",
    "merge_partials",
    "profile_column",
    "profile_table",
]
