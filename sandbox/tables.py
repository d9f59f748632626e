"""DynamoDB write path (SPEC 5, 8 scenario 3): capacity that lags, throttling, the SQS write buffer.

State is a (region x write-kind) grid of tables. Capacity per table:
- provisioned: the provisioned WCU; auto scaling fires when the last ``autoscale_alarm_minutes``
  one-minute datapoints all throttled and no update is running, and multiplies capacity by
  ``autoscale_step_factor``; an update applies after ``table_update_s`` (DynamoDB refuses a second
  UpdateTable while one is applying). That reproduces the design's lagging schedule.
- on-demand: twice the highest served rate of the last 30 minutes (a new peak counts after
  ``on_demand_adapt_s``), or the warm throughput, whichever is higher.
- warm throughput: asynchronous (``warm_apply_s``), can only rise.
- a hot key: when a share ``h`` of a table's writes goes to one partition key, the partition's
  ``partition_wcu`` (1,000) caps the table at ``partition_wcu / h`` whatever its capacity.
With the write buffer on, writes queue per table and a paced consumer drains at capacity: nothing is
rejected or lost, writes wait (FIFO) instead, and a region's depth over the queue's
``double_capacity_depth`` doubles its tables' capacity (SPEC 5).
"""

from __future__ import annotations

from collections import deque

import numpy as np
from numpy.typing import NDArray

from sandbox.histograms import LogHistogram
from sandbox.physics import Physics

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
DELAYED_AFTER_S = 1.0


class TableGrid:
    """Every write-path table in every region, as arrays of shape (regions, kinds)."""

    def __init__(
        self,
        phys: Physics,
        provisioned: BoolArray,
        initial_wcu: FloatArray,
        recent_peak: FloatArray,
        autoscaling: bool,
        double_depth: float,
    ) -> None:
        shape = initial_wcu.shape
        self.phys = phys
        self.provisioned = provisioned.copy()
        self.wcu = initial_wcu.copy()
        self.autoscaling = autoscaling
        self.double_depth = double_depth
        self.update_target = np.zeros(shape)
        self.update_ready = np.full(shape, np.inf)
        self.warm = np.zeros(shape)
        self.warm_read = np.zeros(shape)
        self.warm_target = np.zeros(shape)
        self.warm_ready = np.full(shape, np.inf)
        slots = int(np.ceil(phys.on_demand_peak_window_s / 60.0))
        self.peaks = np.repeat(recent_peak[:, :, None], slots, axis=2)
        self.adapt_slots = int(np.ceil(phys.on_demand_adapt_s / 60.0))
        self.minute_peak = np.zeros(shape)
        self.minute_throttled = np.zeros(shape)
        self.alarm_history: deque[BoolArray] = deque(maxlen=phys.autoscale_alarm_minutes)
        self.fault_factor = np.ones(shape)
        self.consumer_stopped = np.zeros(shape[0], dtype=bool)
        self.queue = np.zeros(shape)
        self.arrived_cum = np.zeros(shape)
        self.drained_cum = np.zeros(shape)
        self.last_throttle_ratio = np.zeros(shape)
        self.fifo: dict[tuple[int, int], deque[list[float]]] = {}
        self.consumed = np.zeros(shape)
        self.throttled = np.zeros(shape)
        self.lost = np.zeros(shape[0])
        self.stored = 0.0
        self.delayed = 0.0
        self.latency = LogHistogram(shape[1], 1.0, 1e8, phys.latency_sigma * 0.5)
        self.kinds = np.arange(shape[1])
        self.hot_cap: FloatArray | None = None

    def set_hot_keys(self, shares: FloatArray) -> None:
        """Per kind: share of writes on one key. The hot partition's 1,000 WCU then caps the table."""
        if (shares > 0).any():
            per_kind = np.where(shares > 0, self.phys.partition_wcu / np.maximum(shares, 1e-12), np.inf)
            self.hot_cap = np.broadcast_to(per_kind, self.wcu.shape).copy()

    # --- capacity ----------------------------------------------------------------------------------
    def updating(self) -> BoolArray:
        return np.isfinite(self.update_ready)

    def capacity(self) -> FloatArray:
        """WCU each table serves without throttling now."""
        recent = self.peaks[:, :, : self.peaks.shape[2] - self.adapt_slots]
        on_demand = np.maximum(2.0 * recent.max(axis=2), self.warm)
        cap = np.where(self.provisioned, self.wcu, on_demand) * self.fault_factor
        return cap if self.hot_cap is None else np.minimum(cap, self.hot_cap)

    def apply_pending(self, t: float) -> None:
        done = self.update_ready <= t
        self.wcu = np.where(done, self.update_target, self.wcu)
        self.update_ready = np.where(done, np.inf, self.update_ready)
        warm_done = self.warm_ready <= t
        self.warm = np.where(warm_done, self.warm_target, self.warm)
        self.warm_ready = np.where(warm_done, np.inf, self.warm_ready)

    def request_update(self, mask: BoolArray, target: FloatArray, t: float) -> None:
        """UpdateTable on ``mask`` (callers check ``updating()`` first)."""
        self.update_target = np.where(mask, target, self.update_target)
        self.update_ready = np.where(mask, t + self.phys.table_update_s, self.update_ready)

    def request_warm(self, i: int, k: int, write_units: float, read_units: float, t: float) -> None:
        self.warm_target[i, k] = write_units
        self.warm_read[i, k] = max(self.warm_read[i, k], read_units)
        self.warm_ready[i, k] = t + self.phys.warm_apply_s

    def enqueue_delayed(self, i: int, k: int, items: list[list[float]]) -> None:
        """Writes that waited elsewhere (at the client) join the buffer with their original times."""
        total = sum(n for _, n in items)
        fifo = self.fifo.setdefault((i, k), deque())
        fifo.extend(items)
        self.queue[i, k] += total
        self.arrived_cum[i, k] += total

    # --- one tick ----------------------------------------------------------------------------------
    def step(self, t: float, dt: float, demand: FloatArray, buffered: bool) -> None:
        """Serve ``demand`` (writes/s) for one tick; ``buffered`` routes new writes via SQS."""
        cap = self.capacity()
        if not self.queue.any() and not self.consumer_stopped.any() and (demand <= cap).all():
            self.step_unconstrained(demand, dt, buffered)
            return
        backlog_before = self.queue.copy()
        drain_cap = np.where(self.consumer_stopped[:, None], 0.0, cap * dt)
        if buffered:
            arrivals = demand * dt
            direct = np.zeros_like(demand)
        else:
            arrivals = np.zeros_like(demand)
            direct = demand
        direct_served = np.minimum(direct, cap)
        throttled = (direct - direct_served) * dt
        spare = np.maximum(drain_cap - direct_served * dt, 0.0)
        drained = np.minimum(backlog_before + arrivals, spare)
        self.queue = backlog_before + arrivals - drained
        self.arrived_cum += arrivals
        self.drained_cum += drained
        served = direct_served + drained / dt
        self.consumed = served
        self.throttled += throttled
        self.last_throttle_ratio = np.where(direct > 0, (direct - direct_served) / np.maximum(direct, 1e-12), 0.0)
        self.lost += throttled.sum(axis=1)
        self.minute_throttled += throttled
        self.minute_peak = np.maximum(self.minute_peak, served)
        self.record_direct(direct_served * dt)
        self.record_buffered(t, dt, backlog_before, arrivals, drained)

    def step_unconstrained(self, demand: FloatArray, dt: float, buffered: bool) -> None:
        """The common case: no backlog and enough capacity; every write is stored within the tick."""
        written = demand * dt
        self.consumed = demand
        self.minute_peak = np.maximum(self.minute_peak, demand)
        if self.last_throttle_ratio.any():
            self.last_throttle_ratio = np.zeros_like(demand)
        per_kind = written.sum(axis=0)
        latency = self.phys.write_latency_ms + (self.phys.buffer_batch_window_ms if buffered else 0.0)
        self.latency.add(self.kinds, np.full(len(per_kind), latency), per_kind)
        self.stored += float(per_kind.sum())
        if buffered:
            self.arrived_cum += written
            self.drained_cum += written

    def record_direct(self, stored: FloatArray) -> None:
        per_kind = stored.sum(axis=0)
        kinds = np.arange(len(per_kind))
        self.latency.add(kinds, np.full(len(per_kind), self.phys.write_latency_ms), per_kind)
        self.stored += float(per_kind.sum())

    def record_buffered(
        self, t: float, dt: float, backlog: FloatArray, arrivals: FloatArray, drained: FloatArray
    ) -> None:
        """FIFO delays: writes behind a backlog wait; others take the batch latency only."""
        base_ms = self.phys.write_latency_ms + self.phys.buffer_batch_window_ms
        quick = (backlog <= 0) & (drained >= arrivals)
        quick_counts = np.where(quick, arrivals, 0.0).sum(axis=0)
        kinds = np.arange(arrivals.shape[1])
        self.latency.add(kinds, np.full(len(kinds), base_ms), quick_counts)
        self.stored += float(quick_counts.sum())
        for i, k in zip(*np.nonzero(~quick & ((arrivals > 0) | (backlog > 0))), strict=True):
            self.drain_fifo(int(i), int(k), t, dt, float(arrivals[i, k]), float(drained[i, k]), base_ms)

    def drain_fifo(self, i: int, k: int, t: float, dt: float, arrived: float, drained: float, base_ms: float) -> None:
        fifo = self.fifo.setdefault((i, k), deque())
        if arrived > 0:
            fifo.append([t + dt / 2, arrived])
        done = 0.0
        while fifo and done < drained - 1e-9:
            item = fifo[0]
            take = min(item[1], drained - done)
            done += take
            stored_at = t + dt * done / drained
            delay_s = max(stored_at - item[0], 0.0)
            self.latency.add(np.asarray([k], dtype=np.intp), np.asarray([delay_s * 1000 + base_ms]), np.asarray([take]))
            self.stored += take
            if delay_s > DELAYED_AFTER_S:
                self.delayed += take
            item[1] -= take
            if item[1] <= 1e-9:
                fifo.popleft()

    # --- minute boundaries -------------------------------------------------------------------------
    def close_minute(self, t: float, buffered_region_depth: FloatArray) -> None:
        """Push the minute's datapoints, then let auto scaling and the depth rule act."""
        self.peaks = np.roll(self.peaks, 1, axis=2)
        self.peaks[:, :, 0] = self.minute_peak
        self.alarm_history.append(self.minute_throttled > 0)
        self.minute_peak = np.zeros_like(self.minute_peak)
        self.minute_throttled = np.zeros_like(self.minute_throttled)
        idle = ~self.updating() & self.provisioned
        if self.autoscaling and len(self.alarm_history) == self.alarm_history.maxlen:
            alarm = np.logical_and.reduce(list(self.alarm_history)) & idle
            self.request_update(alarm, self.wcu * self.phys.autoscale_step_factor, t)
        deep = (buffered_region_depth > self.double_depth)[:, None] & (self.queue > 0) & ~self.updating()
        self.request_update(deep & self.provisioned, self.wcu * 2.0, t)
