"""Fast kernels over Arrow string arrays: duplicate counting and simple anchored patterns.

Both read the Arrow buffers (offsets + UTF-8 bytes) with numpy, so no Python string is ever
built: 10 million ids are a few vectorised passes, not 10 million objects.

* `count_duplicates`: each string becomes a 64-bit hash of its bytes (gathered 8 bytes at a
  time, masked to its length); a sort of the hashes finds equal ones, and only those few
  candidates are compared exactly, so a hash collision can never count as a duplicate.
  Fixed-width strings already in byte order (but for a few rows) skip the hash sort: equal
  strings are then neighbours (`_ordered_suspects`).
* `simple_pattern` / `count_simple_mismatches`: ``^<literal><class>+$``-style patterns (an id
  format, a code) are checked as "prefix bytes equal, every later byte in the class", which is
  several times cheaper than running a regex engine per string. Other patterns go to RE2
  (``pyarrow.compute.match_substring_regex``).

>>> import pyarrow as pa
>>> count_duplicates(pa.chunked_array([["a", "b", "a", None, "a"]]))[0]
2
>>> p = simple_pattern("^id-[0-9]+$")
>>> count_simple_mismatches(pa.chunked_array([["id-1", "id-", "ID-2", "id-3x", None]]), p)[0]
3
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

# Longer strings go to Arrow's own hash table: gathering them 8 bytes at a time stops paying off.
MAX_GATHER_BYTES = 64
BLOCK = 1 << 20  # strings per block of the byte kernels
_MASKS = np.array([(1 << (8 * i)) - 1 for i in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))


@dataclass
class _Chunk:
    """One Arrow string chunk as numpy views of its buffers: starts, lengths, bytes, validity."""

    starts: np.ndarray
    lengths: np.ndarray
    data: np.ndarray  # the chunk's bytes (a view, not a copy)
    valid: np.ndarray | None
    width: int | None = (
        None  # every string this many bytes long (ids, codes): row i starts at i * width
    )
    present_width: int | None = None  # every non-null string this many bytes long, nulls empty

    @classmethod
    def of(cls, chunk: Any) -> _Chunk:
        import pyarrow as pa

        if pa.types.is_dictionary(chunk.type):
            chunk = chunk.dictionary_decode()
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            chunk = chunk.cast(pa.large_string())  # string_view and friends
        _, offsets_buf, data_buf = chunk.buffers()
        width = np.dtype(np.int64 if pa.types.is_large_string(chunk.type) else np.int32)
        offsets = np.frombuffer(
            offsets_buf, dtype=width, count=len(chunk) + 1, offset=chunk.offset * width.itemsize
        )
        offsets = offsets.astype(np.int64, copy=False)
        first, last = int(offsets[0]), int(offsets[-1])
        raw = (
            np.frombuffer(data_buf, dtype=np.uint8)
            if data_buf is not None
            else np.zeros(0, np.uint8)
        )
        starts = offsets[:-1] - first if first else offsets[:-1]
        n = len(chunk)
        valid = chunk.is_valid().to_numpy(zero_copy_only=False) if chunk.null_count else None
        # One width when the bytes are exactly (present strings) x (longest): every present string
        # is that long and every null holds no bytes. The longest comes block by block, and one
        # width needs no lengths array at all (40 MB of fresh pages at 10M strings).
        longest = 0
        for a in range(0, n, 1 << 16):
            b = min(a + (1 << 16), n)
            longest = max(longest, int(np.subtract(offsets[a + 1 : b + 1], offsets[a:b]).max()))
        present = n - chunk.null_count
        one_width = longest if present and last - first == present * longest else None
        width = one_width if valid is None else None
        if width is not None:
            lengths = np.broadcast_to(np.int32(width), (n,))
        else:
            lengths = np.subtract(
                offsets[1:], offsets[:-1], out=np.empty(n, np.int32), casting="unsafe"
            )
        return cls(starts, lengths, raw[first:last], valid, width, one_width)

    def present(self) -> tuple[_Chunk, np.ndarray | None]:
        """The non-null strings as a chunk of their own, and their rows in this one (None: all rows).

        Nulls hold no bytes, so when the present strings share one width (an id column with a
        few nulls) they are a fixed-width chunk by themselves and take the strided kernels
        instead of the gather through every string's offset.
        """
        if self.valid is None or not self.present_width:
            return self, None
        rows = np.flatnonzero(self.valid)
        w = self.present_width
        starts = np.arange(0, len(rows) * w, w, dtype=np.int64)
        lengths = np.broadcast_to(np.int32(w), (len(rows),))
        return _Chunk(starts, lengths, self.data, None, w, w), rows

    def blocks(self, size: int | None = None) -> Iterator[tuple[slice, _Chunk]]:
        """Consecutive pieces of `size` strings, as views: the kernels' temporaries stay a few MB,
        which the allocator reuses instead of faulting in fresh pages for every step."""
        size = size or BLOCK
        for a in range(0, len(self.starts), size):
            b = min(a + size, len(self.starts))
            first = int(self.starts[a])
            last = int(self.starts[b - 1]) + int(self.lengths[b - 1])
            valid = self.valid[a:b] if self.valid is not None else None
            # Fixed width: a block's starts are the chunk's first ones (i * width), a view.
            starts = self.starts[: b - a] if self.width else self.starts[a:b] - first
            yield (
                slice(a, b),
                _Chunk(
                    starts,
                    self.lengths[a:b],
                    self.data[first:last],
                    valid,
                    self.width,
                    self.present_width,
                ),
            )

    def word(self, k: int, mask: bool = True, skip: int = 0) -> np.ndarray:
        """Bytes skip+8k..skip+8k+7 of every string as a little-endian uint64, zeroed past the string's end."""
        at = skip + 8 * k
        size = len(self.data)
        # The last few strings may sit within 8 bytes of the buffer's end: read them from a padded copy.
        if self.width:  # starts are i * width: no search
            near_end = min(max((size - 8 - at) // self.width + 1, 0), len(self.starts))
        else:
            near_end = int(np.searchsorted(self.starts, size - 8 - at, side="right"))
        if self.width and near_end:
            # Fixed width: a strided view reads every string's word with no index array to gather
            # through (the gather was most of a 10M-id uniqueness check).
            out = np.empty(len(self.starts), dtype=np.uint64)
            out[:near_end] = np.ndarray(
                (near_end,), dtype="<u8", buffer=self.data, offset=at, strides=(self.width,)
            )
        elif size >= 8:
            words = np.ndarray((size - 7,), dtype="<u8", buffer=self.data, strides=(1,))
            out = words[np.minimum(self.starts + at, size - 8)]
        else:
            out = np.zeros(len(self.starts), dtype=np.uint64)
        if near_end < len(self.starts):
            begin = min(int(self.starts[near_end]) + at, size)
            padded = np.zeros(size - begin + 16, dtype=np.uint8)
            padded[: size - begin] = self.data[begin:]
            tail = np.minimum(self.starts[near_end:] + at, size) - begin
            out[near_end:] = [int.from_bytes(padded[p : p + 8].tobytes(), "little") for p in tail]
        if mask and self.width:
            np.bitwise_and(out, _MASKS[min(max(self.width - at, 0), 8)], out=out)
        elif mask:
            rest = self.lengths - at
            np.clip(rest, 0, 8, out=rest)
            np.bitwise_and(out, _MASKS[rest], out=out)
        return out


def _hash(chunk: _Chunk, words: int) -> np.ndarray:
    """A 64-bit hash of each string's bytes and length (splitmix-style mixing, wrapping uint64).

    `words` (8-byte rounds) must be the same for every string compared: equal strings then
    get equal hashes whichever block or chunk they sit in.
    """
    out = np.empty(len(chunk.starts), dtype=np.uint64)
    for where, block in chunk.blocks():
        out[where] = _hash_block(block, words)
    return out


def _hash_block(chunk: _Chunk, words: int) -> np.ndarray:
    # In place, with one scratch array: on a VM, fresh pages cost more than the arithmetic.
    h = chunk.lengths.astype(np.uint64)
    h *= _MIX[0]
    scratch = np.empty_like(h)
    shortest = int(chunk.lengths.min()) if len(chunk.lengths) else 0
    # One xor-multiply per word and one final mix: the hash need only spread distinct strings,
    # since candidates are compared exactly; a shift per word doubled a 10M-id hash (152 -> 77 ms).
    for k in range(words):
        h ^= chunk.word(k, mask=shortest < 8 * (k + 1))
        h *= _MIX[1]
    h ^= np.right_shift(h, np.uint64(31), out=scratch)
    h *= _MIX[2]
    h ^= np.right_shift(h, np.uint64(29), out=scratch)
    return h


def chunk_views(array: Any) -> list[tuple[int, _Chunk]]:
    """(first row, view) of each non-empty chunk: made once per column, shared by its rules."""
    out, base = [], 0
    for chunk in getattr(array, "chunks", [array]):
        if len(chunk):
            out.append((base, _Chunk.of(chunk)))
        base += len(chunk)
    return out


def count_duplicates(
    array: Any, *, sample: int = 5, views: list[tuple[int, _Chunk]] | None = None
) -> tuple[int, list[int]]:
    """Rows that repeat an earlier row's string (nulls ignored), and up to `sample` of their positions.

    The count is exact: hashes (or, for ids already in order, neighbours) only pick the
    candidates, which are then compared as strings.
    """
    import pyarrow as pa

    chunks = [c for c in getattr(array, "chunks", [array]) if len(c)]
    if not chunks:
        return 0, []
    views = [v for _, v in (views if views is not None else chunk_views(array))]
    longest = max(int(v.lengths.max(initial=0)) for v in views)
    if longest > MAX_GATHER_BYTES:
        return _count_duplicates_arrow(pa.chunked_array(chunks), sample)
    present = [v.present() for v in views]
    suspects = None
    if len(present) == 1 and present[0][0].width:
        suspects = _ordered_suspects(present[0][0])  # None unless nearly in order
        if suspects is not None and present[0][1] is not None:
            suspects = present[0][1][suspects]
    if suspects is None:
        suspects = _hash_suspects(present, [len(v.starts) for v in views], (longest + 7) // 8)
    if suspects is None:
        return 0, []
    # Exact check on the few suspects: equal hashes of different strings do not count.
    import pandas as pd

    values = pa.chunked_array(chunks).take(pa.array(suspects)).to_pandas()
    dup_positions = suspects[pd.Series(values).duplicated(keep="first").to_numpy()]
    return len(dup_positions), dup_positions[:sample].tolist()


def _hash_suspects(
    present: list[tuple[_Chunk, np.ndarray | None]], sizes: list[int], words: int
) -> np.ndarray | None:
    """Rows (ascending) whose hash another present row shares; None when no two hashes are equal.

    `present` holds each chunk's present strings and their rows in it (None: all), `sizes` the
    chunks' row counts.
    """
    hashes, rows = [], []  # rows: each chunk's present rows, or (first row, count) when all are
    for (view, where), base in zip(present, np.cumsum([0, *sizes[:-1]]).tolist()):
        h = _hash(view, words)
        if where is None and view.valid is not None:
            where = np.flatnonzero(view.valid)
            h = h[where]
        hashes.append(h)
        rows.append((base, len(h)) if where is None else where + base)
    keep = np.concatenate(hashes) if len(hashes) > 1 else hashes[0]
    # One sort on this thread: the engine already runs the numeric rules on the other core, and
    # splitting the sort over two threads cost more than it saved (194 vs 81 ms at 10M ids).
    ordered = np.sort(keep)
    equal = ordered[1:] == ordered[:-1]
    if not equal.any():
        return None
    picked = np.flatnonzero(np.isin(keep, np.unique(ordered[1:][equal])))
    if len(rows) == 1 and isinstance(rows[0], tuple):
        return picked  # one chunk, every row present: the index is the row
    spelled = [np.arange(r[0], r[0] + r[1]) if isinstance(r, tuple) else r for r in rows]
    return np.concatenate(spelled)[picked]


# Ids in order but for this many rows that break it still skip the hash sort.
MAX_OUT_OF_ORDER = 1024


def _ordered_suspects(view: _Chunk) -> np.ndarray | None:
    """For a fixed-width chunk in byte order but for at most `MAX_OUT_OF_ORDER` rows: the rows
    (ascending) that may repeat another, found from neighbours with no sort; else None.

    Ids are often written in order (a sequence, a timestamp prefix): then equal strings are
    neighbours, and the rows out of order ("dips", smaller than the row before) are looked up
    in the rest by binary search. A first block out of order gives up after 64k rows.
    """
    n, w = len(view.starts), view.width
    if w < 8 or n < 2:
        return None  # short codes: the hash of one word is as cheap
    # Big-endian words at 0, 8, ... and a last one ending with the string (overlapping the one
    # before: its overlap is equal whenever the earlier words are), read straight from the bytes
    # into buffers reused for every block: fresh pages and byte swaps cost more than comparing.
    at = [*range(0, w - 8, 8), w - 8]
    size = 1 << 16
    keys = [np.empty(size + 1, np.uint64) for _ in at]
    less, same, scratch = (np.empty(size, bool) for _ in range(3))
    dips, equal = [], []
    for start in range(1, n, size):
        m = min(size, n - start)
        for key, offset in zip(keys, at):  # rows start-1 .. start+m-1
            row = np.ndarray(
                (m + 1,),
                dtype=">u8",
                buffer=view.data,
                offset=(start - 1) * w + offset,
                strides=(w,),
            )
            np.copyto(key[: m + 1], row)
        lt, eq, tmp = less[:m], same[:m], scratch[:m]
        np.less(keys[0][1 : m + 1], keys[0][:m], out=lt)
        np.equal(keys[0][1 : m + 1], keys[0][:m], out=eq)
        for key in keys[1:]:
            np.less(key[1 : m + 1], key[:m], out=tmp)
            tmp &= eq
            lt |= tmp
            np.equal(key[1 : m + 1], key[:m], out=tmp)
            eq &= tmp
        if lt.any():
            dips.append(np.flatnonzero(lt) + start)
            if sum(map(len, dips)) > MAX_OUT_OF_ORDER:
                return None
        if eq.any():
            equal.append(np.flatnonzero(eq) + start)
    dips = np.concatenate(dips) if dips else np.zeros(0, np.int64)
    equal = np.concatenate(equal) if equal else np.zeros(0, np.int64)

    def key(i: int) -> bytes:
        return view.data[i * w : (i + 1) * w].tobytes()

    # Drop each dip and the rows after it still below the row before it: the rest is in order
    # (a row too large, not too small, drops everything after it and passes the cap).
    suspects, dropped, done = [equal, equal - 1], [], -1
    is_dip = set(dips.tolist())
    for dip in dips.tolist():
        if dip <= done:
            continue
        before, after = dip - 1, dip
        while after < n and (after in is_dip or key(after) < key(before)):
            dropped.append(after)
            after += 1
            if len(dropped) > MAX_OUT_OF_ORDER:
                return None
        if after < n and key(after) == key(before):
            suspects.append(np.array([before, after]))
        done = after
    dips = np.array(dropped, dtype=np.int64)
    suspects.append(dips)
    # Kept row of rank r is row r + (dips at or before it): dips[j] - j kept rows precede dips[j].
    gaps = dips - np.arange(len(dips))
    kept = n - len(dips)

    def row(rank: int) -> int:
        return rank + int(np.searchsorted(gaps, rank, side="right"))

    def bound(value: bytes, below: bool) -> int:
        """The first kept rank whose string is not below (`below`) or is above `value`."""
        lo, hi = 0, kept
        while lo < hi:
            mid = (lo + hi) // 2
            here = key(row(mid))
            lo, hi = (mid + 1, hi) if (here < value if below else here <= value) else (lo, mid)
        return lo

    for dip in dips.tolist():
        value = key(dip)
        first, end = bound(value, True), bound(value, False)
        if end > first:
            ranks = np.arange(first, end)
            suspects.append(ranks + np.searchsorted(gaps, ranks, side="right"))
    return np.unique(np.concatenate(suspects))


def _count_duplicates_arrow(array: Any, sample: int) -> tuple[int, list[int]]:
    import pyarrow.compute as pc

    valid = len(array) - array.null_count
    distinct = pc.count_distinct(array, mode="only_valid").as_py()
    if valid == distinct:
        return 0, []
    import pandas as pd

    dup = (
        pd.Series(array.to_pandas())
        .pipe(lambda s: s.duplicated(keep="first") & s.notna())
        .to_numpy()
    )
    positions = np.flatnonzero(dup)
    return len(positions), positions[:sample].tolist()


# -- anchored simple patterns --------------------------------------------------------------------


@dataclass(frozen=True)
class SimplePattern:
    """``^prefix$`` or ``^prefix[class]+$`` / ``*``: a literal head, then bytes from one ASCII class."""

    prefix: bytes
    byte_class: tuple[tuple[int, int], ...] | None  # ASCII (lo, hi) ranges; None: exact literal
    at_least_one: bool


_CLASS = re.compile(r"\[([^\]\\^]|\\.)(?:[^\]\\]|\\.)*\]|\\d|\\w")


def simple_pattern(pattern: str) -> SimplePattern | None:
    """Recognise the patterns the byte kernel handles exactly; None sends the pattern to RE2."""
    if not (pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$")):
        return None
    body = pattern[1:-1]
    head, i = [], 0
    while i < len(body) and body[i] not in "[\\.*+?{}()|^$":
        head.append(body[i])
        i += 1
    while (
        i < len(body)
        and body[i] == "\\"
        and i + 1 < len(body)
        and body[i + 1] in "-.[](){}*+?^$|\\/"
    ):
        head.append(body[i + 1])
        i += 2
        while i < len(body) and body[i] not in "[\\.*+?{}()|^$":
            head.append(body[i])
            i += 1
    prefix = "".join(head).encode()
    tail = body[i:]
    if not tail:
        return SimplePattern(prefix, None, False)
    match = _CLASS.match(tail)
    if not match or tail[match.end() :] not in ("+", "*"):
        return None
    byte_class = _byte_class(match.group(0))
    if byte_class is None:
        return None
    return SimplePattern(prefix, byte_class, tail[match.end() :] == "+")


def _byte_class(spec: str) -> tuple[tuple[int, int], ...] | None:
    """A character class as ASCII byte ranges; None for what the byte kernel does not handle."""
    if spec == "\\d":
        return ((ord("0"), ord("9")),)
    if spec == "\\w":
        return None  # Unicode word characters: leave to RE2
    inner, i, ranges = spec[1:-1], 0, []
    while i < len(inner):
        ch = inner[i]
        if ch == "\\":
            if i + 1 >= len(inner) or inner[i + 1].isalnum():
                return None  # \d, \s, \w inside a class: not worth the cases
            ch, i = inner[i + 1], i + 1
        if i + 2 < len(inner) and inner[i + 1] == "-":
            lo, hi = ord(ch), ord(inner[i + 2])
            i += 3
        else:
            lo = hi = ord(ch)
            i += 1
        if hi > 127 or lo > hi:
            return None
        ranges.append((lo, hi))
    return tuple(ranges)


def count_simple_mismatches(
    array: Any,
    pattern: SimplePattern,
    *,
    sample: int = 5,
    views: list[tuple[int, _Chunk]] | None = None,
) -> tuple[int, list[int]]:
    """Non-null strings that do not match `pattern`, and up to `sample` of their positions."""
    bad_rows = []
    for base, whole in views if views is not None else chunk_views(array):
        view, rows = whole.present()
        # Fixed width: a block's few uint64 words per string (512 KB per 64k) stay in L2; each
        # block's mismatches are kept, not a flag per row of the column.
        for where, block in view.blocks(1 << 16 if view.width else None):
            if block.width and _all_match(block, pattern):
                continue  # the usual block: no flag per row, no search for mismatches
            bad = ~_simple_matches(block, pattern)
            if block.valid is not None:
                bad &= block.valid
            found = np.flatnonzero(bad) + where.start
            if len(found):
                bad_rows.append((rows[found] if rows is not None else found) + base)
    positions = np.concatenate(bad_rows) if bad_rows else np.zeros(0, np.int64)
    return len(positions), positions[:sample].tolist()


def _simple_matches(view: _Chunk, pattern: SimplePattern) -> np.ndarray:
    size = len(pattern.prefix)
    lengths = view.lengths
    shortest = size if pattern.byte_class is None else size + (1 if pattern.at_least_one else 0)
    if view.width is not None:  # one length: the test is one comparison, not one per string
        fits = view.width == size if pattern.byte_class is None else view.width >= shortest
        ok = np.full(len(view.starts), fits)
    elif pattern.byte_class is None:
        ok = lengths == size
    else:
        ok = lengths >= shortest
    for k in range(0, size, 8):
        piece = pattern.prefix[k : k + 8]
        expected = np.uint64(int.from_bytes(piece, "little"))
        ok &= (view.word(k // 8, mask=False) & _MASKS[len(piece)]) == expected
    if pattern.byte_class is not None and view.width is not None:
        # Fixed width (ids, codes): the bytes after the prefix, 8 at a time through strided
        # views, each word tested for the class in a few uint64 operations (no per-byte arrays,
        # no scatter of the prefix bytes): a third of the byte pass at 10M ids.
        for at in range(size, view.width, 8):
            outside = _word_outside(
                view.word(0, mask=False, skip=at), min(8, view.width - at), pattern.byte_class
            )
            ok &= outside == 0
        return ok
    if pattern.byte_class is not None and len(view.data):
        # Flag every byte outside the class, clear the prefix bytes (already checked), and map
        # the few flagged bytes left to their strings: one cheap pass over the bytes, no per-string loop.
        outside = ~_in_class(view.data, pattern.byte_class)
        for j in range(size):
            has = lengths > j
            outside[view.starts[has] + j] = False
        flagged = np.flatnonzero(outside)
        if len(flagged):
            ok[np.searchsorted(view.starts, flagged, side="right") - 1] = False
    return ok


_ONES, _HIGH, _LOW7 = (np.uint64(0x0101010101010101 * b) for b in (1, 0x80, 0x7F))


def _all_match(view: _Chunk, pattern: SimplePattern) -> bool:
    """Whether every string of a fixed-width chunk matches: the prefix's differences and the
    class's misses OR-reduced over the chunk, with no flag per string (False: look closer)."""
    size = len(pattern.prefix)
    if view.valid is not None or (
        view.width != size
        if pattern.byte_class is None
        else view.width < size + (1 if pattern.at_least_one else 0)
    ):
        return False
    for k in range(0, size, 8):
        piece = pattern.prefix[k : k + 8]
        word = view.word(k // 8, mask=False)
        np.bitwise_and(word, _MASKS[len(piece)], out=word)
        np.bitwise_xor(word, np.uint64(int.from_bytes(piece, "little")), out=word)
        if np.bitwise_or.reduce(word):
            return False
    if pattern.byte_class is not None:
        for at in range(size, view.width, 8):
            outside = _word_outside(
                view.word(0, mask=False, skip=at), min(8, view.width - at), pattern.byte_class
            )
            if np.bitwise_or.reduce(outside):
                return False
    return True


def _word_outside(
    words: np.ndarray, nbytes: int, byte_class: tuple[tuple[int, int], ...]
) -> np.ndarray:
    """Per word, the high bit of each of its first `nbytes` bytes that is outside every ASCII
    (lo, hi) range of the class: 0 where they all are inside.

    SWAR on 7-bit lanes: with b <= 0x7F, ``b + (0x80 - lo)`` has its high bit set iff b >= lo
    and ``b + (0x7F - hi)`` iff b > hi, and neither sum carries into the next byte; a byte with
    its own high bit set (not ASCII) is never inside.
    """
    # In place on three buffers: each temporary of a block is a pass over L2 and an allocation.
    low = np.bitwise_and(words, _LOW7)
    if len(byte_class) == 1:  # one range (digits, hex...): below, above or not ASCII, 7 passes
        ((lo, hi),) = byte_class
        outside = np.add(low, np.uint64(0x80 - lo) * _ONES)
        outside ^= _HIGH  # high bit set: below lo
        np.add(low, np.uint64(0x7F - hi) * _ONES, out=low)  # high bit set: above hi
        outside |= low
        outside |= words
        outside &= _HIGH & _MASKS[nbytes]
        return outside
    inside, above = np.empty_like(words), np.empty_like(words)
    for i, (lo, hi) in enumerate(byte_class):
        at_least = inside if i == 0 else np.empty_like(words)
        np.add(low, np.uint64(0x80 - lo) * _ONES, out=at_least)
        np.add(low, np.uint64(0x7F - hi) * _ONES, out=above)
        np.invert(above, out=above)
        at_least &= above
        if i:
            inside |= at_least
    np.invert(words, out=low)  # a byte with its high bit set is never inside
    inside &= low
    np.invert(inside, out=inside)
    inside &= _HIGH & _MASKS[nbytes]
    return inside


def _in_class(data: np.ndarray, byte_class: tuple[tuple[int, int], ...]) -> np.ndarray:
    """bool per byte: inside one of the (lo, hi) ranges. Wrapping uint8 arithmetic keeps it one SIMD pass per range."""
    inside = None
    for lo, hi in byte_class:
        test = np.subtract(data, np.uint8(lo), dtype=np.uint8) <= np.uint8(hi - lo)
        inside = test if inside is None else np.logical_or(inside, test, out=inside)
    return inside


def count_regex_mismatches(
    array: Any, pattern: str, *, threads: int = 2, sample: int = 5
) -> tuple[int, list[int]]:
    """Non-null strings without a match of `pattern` (RE2, search semantics), over chunks in parallel."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    step = max(1, -(-len(array) // max(threads, 1)))
    pieces = [array.slice(i, step) for i in range(0, len(array), step)] or [array]

    def bad(piece: Any) -> np.ndarray:
        matched = pc.match_substring_regex(piece, pattern)
        return pc.invert(pc.fill_null(matched, True)).to_numpy(zero_copy_only=False)

    with ThreadPoolExecutor(max(threads, 1)) as pool:
        parts = list(pool.map(bad, pieces))
    positions = np.flatnonzero(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
    return len(positions), positions[:sample].tolist()
