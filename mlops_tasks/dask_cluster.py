"""Profile, validation, reference fitting and drift over a partitioned Parquet dataset on a Dask cluster: partitions summarised where they lie.

A dataset is a folder (every ``*.parquet`` under it), a glob, or one file, local or on any
fsspec filesystem (``s3://bucket/events/*.parquet`` with ``s3fs``). Each partition is read
and summarised by a task on a ``dask.distributed`` worker; only the mergeable partials travel
back, and they are combined in partition order, so the result does not depend on which worker
ran what:

* drift: each partition's `ColumnSummary` (counts on the reference's bins and sketch points,
  sums) — they add up exactly, so `detect_drift` on the combined summary gives the verdicts
  the in-memory path gives on the concatenated data;
* profile: two passes as in `mlops_tasks.profiling.profile_column`: each partition's
  `ColumnPartial` per column (seeded by the column and the partition's position), merged, the
  histogram edges from the merged partial, then each partition's `Tallies` on those edges;
* fit_reference: each partition's pass-1 partial per column (`monitoring.reference_partials`),
  then the values at the bin edges' and sketch points' ranks by a radix select over the
  partitions (`monitoring.ranks`: counts travel, not values), then, for calibration, each
  partition's summaries of its slices of the reference chunks: the same edges, counts, sketch
  and category counts as `fit_reference` on the whole frame;
* validate: each partition's rule outcomes, merged by `mlops_tasks.validation.partials`;
  `unique` rules' distinct keys go by hash bucket from the partition tasks to one task per
  bucket (worker to worker), which finds the keys an earlier partition holds: exact.

Without a cluster (``address=None`` and no ``client``) the same per-partition functions run in
this process, in order: the single-process path the cluster path is compared with.

>>> import tempfile, os, pandas as pd
>>> from mlops_tasks.monitoring import fit_reference, detect_drift
>>> folder = tempfile.mkdtemp()
>>> for i in range(3):
...     pd.DataFrame({"x": [float(i * 10 + j) for j in range(10)]}).to_parquet(f"{folder}/part-{i}.parquet")
>>> reference = fit_reference(pd.DataFrame({"x": [float(j) for j in range(30)]}), sketch=0)
>>> summaries = summarize_parquet(reference, folder)
>>> summaries["x"].n, detect_drift(reference, summaries, method="psi").current_rows
(30, 30)
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import reduce
from typing import Any

from mlops_tasks.errors import DataError, SourceNotFoundError


def parquet_parts(path: str, storage_options: dict[str, Any] | None = None) -> list[str]:
    """The dataset's Parquet files, sorted: a folder's ``**/*.parquet``, a glob's matches, or the file."""
    from fsspec.core import url_to_fs

    fs, root = url_to_fs(path, **(storage_options or {}))
    if any(ch in path for ch in "*?["):
        found = fs.glob(root)
    elif fs.isdir(root):
        found = fs.glob(root.rstrip("/") + "/**/*.parquet")
    else:
        found = [root] if fs.exists(root) else []
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    parts = sorted(p if protocol == "file" else f"{protocol}://{p}" for p in found)
    if not parts:
        raise SourceNotFoundError(f"no Parquet files at {path!r}")
    return parts


def _read(
    part: str,
    columns: list[str] | None,
    storage_options: dict[str, Any] | None,
    text_as_codes: bool = False,
) -> Any:
    """A partition's table; `text_as_codes`: string columns as dictionaries, as the profile task reads them."""
    import fsspec
    import pyarrow.parquet as pq

    with fsspec.open(part, "rb", **(storage_options or {})) as fh:
        if not text_as_codes:
            return pq.read_table(fh, columns=columns)
        from mlops_tasks.profiling.partials import kind_of

        schema = pq.read_schema(fh)
        text = [
            f.name
            for f in schema
            if kind_of(f.type) == "categorical" and (columns is None or f.name in columns)
        ]
        fh.seek(0)
        return pq.read_table(fh, columns=columns, read_dictionary=text)


def parquet_schema(path: str, storage_options: dict[str, Any] | None = None) -> Any:
    """The Arrow schema of the dataset's first partition."""
    import fsspec
    import pyarrow.parquet as pq

    with fsspec.open(
        parquet_parts(path, storage_options)[0], "rb", **(storage_options or {})
    ) as fh:
        return pq.read_schema(fh)


@contextmanager
def _connected(address: str | None, client: Any) -> Iterator[Any]:
    """The given client, or one connected to `address` for the block (closed after), or None."""
    if client is not None or address is None:
        yield client
        return
    from distributed import Client

    own = Client(address)
    try:
        yield own
    finally:
        own.close()


def _run(fn: Any, items: list[Any], address: str | None, client: Any, **kwargs: Any) -> list[Any]:
    """``[fn(item, **kwargs) for item in items]`` on the cluster (results in order), or here."""
    with _connected(address, client) as client:
        if client is None:
            return [fn(item, **kwargs) for item in items]
        return client.gather(client.map(fn, items, pure=False, **kwargs))


# -- drift ------------------------------------------------------------------------------------


def _summarize_part(
    part: str, *, reference: Any, columns: list[str], grid: Any, options: Any
) -> Any:
    from mlops_tasks.monitoring.summary import summarize

    table = _read(part, None, options)
    present = [c for c in columns if c in table.column_names]
    return summarize(
        reference, table.select(present).to_pandas(), columns=present, grid=grid, threads=1
    )


def summarize_parquet(
    reference: Any,
    path: str,
    *,
    address: str | None = None,
    client: Any = None,
    columns: list[str] | None = None,
    grid: bool | set[str] = True,
    storage_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The current data's summaries on `reference`'s bins, one partition per task; feed them to `detect_drift`."""
    parts = parquet_parts(path, storage_options)
    wanted = [c for c in (columns or reference.columns) if c in reference.columns]
    pieces = _run(
        _summarize_part, parts, address, client,
        reference=reference, columns=wanted, grid=grid, options=storage_options,
    )  # fmt: skip
    totals: dict[str, Any] = {}
    for piece in pieces:  # partition order: the same sums whichever worker ran what
        for name, summary in piece.items():
            totals[name] = totals[name].add(summary) if name in totals else summary
    return totals


# -- reference --------------------------------------------------------------------------------


def _frame(part: str, columns: list[str], options: Any) -> Any:
    return _read(part, columns, options).to_pandas()


def _fit_part(
    part: str, *, kinds: dict[str, str], numeric: set[str], sketch: int, options: Any
) -> Any:
    from mlops_tasks.monitoring.reference_partials import ColumnFit

    frame = _frame(part, list(kinds), options)
    fits = {
        name: ColumnFit.of(frame[name], kind, sketch=sketch, few_as_categorical=name not in numeric)
        for name, kind in kinds.items()
    }
    return len(frame), fits


def _ranks_part(part: str, *, queries: dict[str, Any], options: Any) -> dict[str, Any]:
    from mlops_tasks.monitoring.ranks import float_keys, tally
    from mlops_tasks.monitoring.reference import finite_values

    frame = _frame(part, list(queries), options)
    return {
        name: tally(float_keys(finite_values(frame[name])[0]), q) for name, q in queries.items()
    }


def _chunks_part(
    index_part: tuple[int, str],
    *,
    reference: Any,
    offsets: list[int],
    bounds: list[int],
    options: Any,
) -> list[tuple[int, Any]]:
    """The partition's slices of each calibration chunk, summarised: [(chunk, summaries)]."""
    from mlops_tasks.monitoring.summary import summarize

    index, part = index_part
    frame = _frame(part, list(reference.columns), options)
    start, stop = offsets[index], offsets[index] + len(frame)
    out = []
    for chunk, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
        if a < stop and b > start:
            piece = frame.iloc[max(a, start) - start : min(b, stop) - start]
            out.append((chunk, summarize(reference, piece, threads=1)))
    return out


def fit_reference_parquet(
    path: str,
    *,
    address: str | None = None,
    client: Any = None,
    columns: list[str] | None = None,
    numeric: list[str] | None = None,
    categorical: list[str] | None = None,
    bins: int = 10,
    sketch: int = 1000,
    calibration_chunks: int = 0,
    storage_options: dict[str, Any] | None = None,
) -> Any:
    """`fit_reference` of a partitioned Parquet dataset: the same edges, counts and sketch, partitions summarised where they lie.

    Pass 1 summarises each partition (`mlops_tasks.monitoring.reference_partials`); the values
    at the bin edges' and sketch points' ranks come from a radix select over the partitions
    (`mlops_tasks.monitoring.ranks`: counts travel, not values; 2-4 rounds); calibration
    chunks (consecutive rows, as in memory) are summarised per partition and added up; with
    fewer than 2 rows per chunk there is no calibration, as in the `fit_reference` task.
    """

    from mlops_tasks.monitoring.ranks import RankSelect
    from mlops_tasks.monitoring.reference import Reference, column_kind
    from mlops_tasks.monitoring.reference_partials import finish, fit_column, wanted_ranks

    if bins < 2:
        raise ValueError("bins must be at least 2")
    parts = parquet_parts(path, storage_options)
    empty = parquet_schema(parts[0], storage_options).empty_table().to_pandas()
    names = list(columns) if columns is not None else list(empty.columns)
    missing = [c for c in names if c not in empty.columns]
    if missing:
        raise DataError(f"columns {missing} are not in {parts[0]} (it has {list(empty.columns)})")
    numeric_set, categorical_set = set(numeric or ()), set(categorical or ())
    kinds, skipped = {}, {}
    for name in names:  # as `fit_reference` decides, from the dtype the rows are read with
        kind = (
            "categorical"
            if name in categorical_set
            else "numeric"
            if name in numeric_set
            else column_kind(empty[name], exact=False)
        )
        if kind is None:
            skipped[name] = f"dtype {empty[name].dtype} is neither numeric nor categorical"
        else:
            kinds[name] = kind
    with _connected(address, client) as client:
        first = _run(
            _fit_part,
            parts,
            None,
            client,
            kinds=kinds,
            numeric=numeric_set,
            sketch=sketch,
            options=storage_options,
        )
        sizes = [rows for rows, _ in first]
        fits = {n: reduce(lambda a, b: a.merge(b), (f[n] for _, f in first)) for n in kinds}
        del first
        fitted = {
            n: fit_column(
                n, fits[n], bins=bins, sketch=sketch, few_as_categorical=n not in numeric_set
            )
            for n in kinds
        }
        selects = {
            n: RankSelect(wanted_ranks(fits[n], bins=bins, sketch=sketch), fits[n].count)
            for n, col in fitted.items()
            if col is None
        }
        while any(not s.done for s in selects.values()):
            queries = {n: s.query() for n, s in selects.items() if not s.done}
            answers = _run(
                _ranks_part, parts, None, client, queries=queries, options=storage_options
            )
            for n in queries:
                selects[n].advance([a[n] for a in answers])
        for n, select in selects.items():
            fitted[n] = finish(
                n,
                fits[n],
                select.ranks,
                select.values(),
                select.le,
                select.lt,
                bins=bins,
                sketch=sketch,
            )
        reference = Reference(
            columns={n: fitted[n] for n in names if n in fitted}, rows=sum(sizes), bins=bins,
            sketch=sketch, skipped=skipped,
        )  # fmt: skip
        if (
            calibration_chunks and sum(sizes) >= 2 * calibration_chunks
        ):  # as the task does in memory
            _calibrate(reference, parts, sizes, calibration_chunks, client, storage_options)
    return reference


def _calibrate(
    reference: Any, parts: list[str], sizes: list[int], chunks: int, client: Any, options: Any
) -> None:
    """`calibrate` on the partitions: each chunk's summary added up from the partitions' slices of it."""
    import numpy as np

    from mlops_tasks.monitoring.drift.calibrated import record_chunks

    if chunks < 2:
        raise ValueError("calibration needs at least 2 chunks")
    bounds = np.linspace(0, sum(sizes), chunks + 1).astype(int).tolist()
    offsets = np.concatenate(([0], np.cumsum(sizes))).astype(int).tolist()
    pieces = _run(
        _chunks_part, list(enumerate(parts)), None, client,
        reference=reference, offsets=offsets, bounds=bounds, options=options,
    )  # fmt: skip
    totals: list[dict[str, Any]] = [{} for _ in range(chunks)]
    for piece in pieces:  # partition order
        for chunk, summaries in piece:
            for name, summary in summaries.items():
                mine = totals[chunk]
                mine[name] = mine[name].add(summary) if name in mine else summary
    record_chunks(reference, totals, chunks)


# -- profile ----------------------------------------------------------------------------------


def _partials_part(index_part: tuple[int, str], *, columns: Any, options: Any) -> dict[str, Any]:
    from mlops_tasks.profiling.partials import ColumnPartial, finite_values, kind_of

    index, part = index_part
    table = _read(part, columns, options, text_as_codes=True)
    out = {}
    for name in table.column_names:
        chunk = table.column(name).combine_chunks()
        numbers = finite_values(chunk) if kind_of(chunk.type) == "numeric" else None
        seed = (zlib.crc32(name.encode()), index)
        out[name] = ColumnPartial.of(chunk, seed=seed, numbers=numbers)
    return out


def _tallies_part(
    part: str, *, columns: Any, merged: Any, edges: Any, options: Any
) -> dict[str, Any]:
    from mlops_tasks.profiling.partials import Tallies, finite_values, kind_of

    table = _read(part, columns, options, text_as_codes=True)
    out = {}
    for name in table.column_names:
        chunk = table.column(name).combine_chunks()
        numbers = finite_values(chunk) if kind_of(chunk.type) == "numeric" else None
        out[name] = Tallies.of(chunk, merged[name], edges[name], numbers=numbers)
    return out


def profile_parquet(
    path: str,
    *,
    address: str | None = None,
    client: Any = None,
    columns: list[str] | None = None,
    top_k: int = 10,
    bins: int = 10,
    storage_options: dict[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Column statistics of a partitioned Parquet dataset (the profile task's figures), two passes over the partitions."""
    from mlops_tasks.profiling.partials import ColumnPartial, Tallies, describe

    parts = parquet_parts(path, storage_options)
    partials = _run(
        _partials_part, list(enumerate(parts)), address, client,
        columns=columns, options=storage_options,
    )  # fmt: skip
    names = list(partials[0])
    merged = {n: reduce(ColumnPartial.merge, (p[n] for p in partials)) for n in names}
    edges = {n: merged[n].histogram_edges(bins) for n in names}
    tallies = _run(
        _tallies_part, parts, address, client,
        columns=columns, merged=merged, edges=edges, options=storage_options,
    )  # fmt: skip
    return {
        n: describe(
            merged[n],
            reduce(Tallies.merge, (t[n] for t in tallies), Tallies()),
            edges[n],
            top_k=top_k,
        )
        for n in names
    }


# -- validate ---------------------------------------------------------------------------------


def _check_part(
    part: str, *, rules: Any, sample_rows: int, references: Any, buckets: int, options: Any
) -> Any:
    from mlops_tasks.validation.partials import check_partition

    frame = _read(part, None, options).to_pandas()
    return check_partition(
        frame, rules, sample_rows=sample_rows, load_reference=references, buckets=buckets
    )


def _head(checks: Any) -> Any:
    """A partition's checks without its key pieces: what travels back to the client."""
    from dataclasses import replace

    return replace(checks, keys={})


def _piece(checks: Any, rule: int, bucket: int) -> Any:
    return checks.keys[rule][bucket]


class PreloadedReferences:
    """`load_reference` for workers: the referenced columns, read once on the client and shipped."""

    def __init__(self, columns: dict[tuple[str, str], Any]):
        self.columns = columns

    def __call__(self, ref: Any, column: str) -> Any:
        return self.columns[(ref.uri, column)]


def validate_parquet(
    path: str,
    rules: list[Any],
    *,
    address: str | None = None,
    client: Any = None,
    sample_rows: int = 5,
    load_reference: Any = None,
    storage_options: dict[str, Any] | None = None,
    buckets: int | None = None,
) -> tuple[int, list[Any]]:
    """(rows, outcomes) of `rules` over a partitioned Parquet dataset: the verdicts `validate_frame` gives on all of it.

    Each partition is checked where it lies; `unique` rules' keys are shuffled between the
    workers by hash bucket (see `mlops_tasks.validation.partials`), never through this process.
    """
    from mlops_tasks.validation.partials import bucket_repeats, merge_checks, row_offsets
    from mlops_tasks.validation.rules import References, Unique

    parts = parquet_parts(path, storage_options)
    buckets = buckets or min(len(parts), 32)
    references = PreloadedReferences(
        {
            (rule.dataset.uri, col): load_reference(rule.dataset, col)
            for rule in rules
            if isinstance(rule, References) and load_reference is not None
            for col in [rule.dataset_column or rule.column]
        }
    )
    unique = [i for i, rule in enumerate(rules) if isinstance(rule, Unique)]
    kwargs = dict(
        rules=rules, sample_rows=sample_rows, buckets=buckets, options=storage_options,
        references=references if load_reference is not None else None,
    )  # fmt: skip
    with _connected(address, client) as client:
        if client is None:  # the single process: partitions one after another
            checks = [_check_part(p, **kwargs) for p in parts]
            offsets = row_offsets(checks)
            unique = [i for i in unique if all(i in c.keys for c in checks)]
            cross = {
                i: [
                    bucket_repeats([c.keys[i][b] for c in checks], offsets, rules[i].columns, sample_rows)
                    for b in range(buckets)
                ]
                for i in unique
            }  # fmt: skip
            checks = [_head(c) for c in checks]
        else:
            futures = client.map(_check_part, parts, pure=False, **kwargs)
            checks = client.gather(client.map(_head, futures, pure=False))
            offsets = row_offsets(checks)
            unique = [i for i in unique if not any(i in c.problems for c in checks)]
            pending = {
                i: [
                    client.submit(
                        bucket_repeats,
                        [client.submit(_piece, f, i, b, pure=False) for f in futures],
                        offsets, rules[i].columns, sample_rows, pure=False,
                    )
                    for b in range(buckets)
                ]
                for i in unique
            }  # fmt: skip
            cross = {i: client.gather(fs) for i, fs in pending.items()}
            del futures
    return merge_checks(rules, checks, cross, sample_rows=sample_rows)
