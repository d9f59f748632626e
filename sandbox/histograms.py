"""Latency distributions without per-request work: log-spaced buckets of median latencies.

Each tick adds "n requests whose latency is log-normal around median m" as n counts at m's bucket;
the spread (a fixed log-normal kernel) is applied once, when a quantile is read. That keeps a
24-hour run at millions of requests per minute to a few array operations per tick.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
FLUSH_EVERY = 256


class LogHistogram:
    """Counts of events by log-bucket of their median value, for ``rows`` label sets."""

    def __init__(self, rows: int, low: float, high: float, sigma: float, ratio: float = 1.02) -> None:
        self.low = low
        self.log_ratio = float(np.log(ratio))
        self.size = int(np.ceil(np.log(high / low) / self.log_ratio)) + 1
        self.counts = np.zeros((rows, self.size))
        width = max(1, int(np.ceil(4 * sigma / self.log_ratio)))
        offsets = np.arange(-width, width + 1) * self.log_ratio
        kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
        self.kernel = kernel / kernel.sum()
        self.centres = low * np.exp(np.arange(self.size) * self.log_ratio)
        self.pending_rows: list[NDArray[np.intp]] = []
        self.pending_idx: list[FloatArray] = []
        self.pending_w: list[FloatArray] = []

    def index_of(self, values: FloatArray) -> NDArray[np.intp]:
        idx = np.rint(np.log(np.maximum(values, self.low) / self.low) / self.log_ratio)
        return np.minimum(idx, self.size - 1).astype(np.intp)

    def add(self, rows: NDArray[np.intp], medians: FloatArray, counts: FloatArray) -> None:
        """Add ``counts`` events with log-normal latency around ``medians``, per row (buffered)."""
        self.pending_rows.append(rows)
        self.pending_idx.append(medians)
        self.pending_w.append(counts)
        if len(self.pending_idx) >= FLUSH_EVERY:
            self.flush()

    def flat_index(self, rows: NDArray[np.intp], medians: FloatArray) -> NDArray[np.intp]:
        return np.asarray(rows * self.size + self.index_of(medians), dtype=np.intp)

    def flush(self) -> None:
        if not self.pending_idx:
            return
        idx = self.flat_index(np.concatenate(self.pending_rows), np.concatenate(self.pending_idx))
        flat = np.bincount(idx, weights=np.concatenate(self.pending_w), minlength=self.counts.size)
        self.counts += flat.reshape(self.counts.shape)
        self.pending_rows, self.pending_idx, self.pending_w = [], [], []

    def spread(self, rows: NDArray[np.intp] | slice | None = None) -> FloatArray:
        """The distribution over buckets (summed over ``rows``), spread by the kernel."""
        self.flush()
        base = self.counts.sum(axis=0) if rows is None else self.counts[rows].sum(axis=0)
        return spread_counts(base, self.kernel)

    def quantile(self, q: float, rows: NDArray[np.intp] | slice | None = None) -> float:
        """The q-quantile (0..1), 0.0 when empty."""
        return quantile_of(self.spread(rows), self.centres, q)

    def total(self, row: int | None = None) -> float:
        self.flush()
        return float(self.counts.sum() if row is None else self.counts[row].sum())

    def cumulative_at(self, edges: tuple[float, ...], row: int) -> list[float]:
        """Cumulative counts at ``edges`` (for Prometheus histogram buckets) of one row."""
        self.flush()
        cum = np.cumsum(spread_counts(self.counts[row], self.kernel))
        idx = np.searchsorted(self.centres, np.asarray(edges), side="right") - 1
        return [float(cum[i]) if i >= 0 else 0.0 for i in idx]


def spread_counts(base: FloatArray, kernel: FloatArray) -> FloatArray:
    width = (len(kernel) - 1) // 2
    full = np.convolve(base, kernel)
    out = full[width : width + len(base)].copy()
    out[0] += full[:width].sum()
    out[-1] += full[width + len(base) :].sum()
    return out


def quantile_of(dist: FloatArray, centres: FloatArray, q: float) -> float:
    total = float(dist.sum())
    if total <= 0:
        return 0.0
    cum = np.cumsum(dist)
    i = int(np.searchsorted(cum, q * total))
    return float(centres[min(i, len(centres) - 1)])


class RecentHistogram:
    """The same buckets over the last ``window_s`` of model time (for live signals such as p95)."""

    def __init__(self, base: LogHistogram, window_s: float) -> None:
        self.base = base
        self.window_s = window_s
        self.entries: deque[tuple[float, NDArray[np.intp], FloatArray, FloatArray]] = deque()

    def add(self, t: float, rows: NDArray[np.intp], medians: FloatArray, counts: FloatArray) -> None:
        self.entries.append((t, rows, medians, counts))
        while self.entries and self.entries[0][0] < t - self.window_s:
            self.entries.popleft()

    def quantile(self, q: float, row: int) -> float:
        b = self.base
        if not self.entries:
            return 0.0
        flat = b.flat_index(np.concatenate([e[1] for e in self.entries]), np.concatenate([e[2] for e in self.entries]))
        w = np.concatenate([e[3] for e in self.entries])
        mine = flat // b.size == row
        dist = np.bincount(flat[mine] % b.size, weights=w[mine], minlength=b.size).astype(float)
        return quantile_of(spread_counts(dist, b.kernel), b.centres, q)
