"""The timeline chart of a war game: load, latency, failures and capacity on one model-time axis.

One SVG (matplotlib, no JavaScript) with the phases shaded, the fault's injection and clearing
marked, and controller decisions drawn where they happened, so that a reader sees in one glance what
broke, when the platform reacted and how long the users felt it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from wargames.judging import Placed, phase_windows
from wargames.measuring import percentile, split_bins
from wargames.models import Phase

if TYPE_CHECKING:
    from wargames.records import RunRecord

PHASE_COLOURS = {Phase.BASELINE: "#e8f3ec", Phase.INJECTION: "#fbe3e0", Phase.RECOVERY: "#e4eef8"}
INK, MUTED, ALERT, GOOD, ACCENT = "#1f2933", "#7b8794", "#c0392b", "#2e8b57", "#2f6db5"


def minutes(t: float, origin: float) -> float:
    return (t - origin) / 60.0


def bin_series(placed: Placed, bins: Sequence[tuple[float, float]], speed: float) -> dict[str, list[float | None]]:
    """Per-bin Locust figures: requests per wall second, video-start p95 and error ratio, write rejections."""
    rps: list[float | None] = []
    p95: list[float | None] = []
    errors: list[float | None] = []
    rejected: list[float | None] = []
    for a, b in bins:
        reqs = [r for r in placed.requests if a <= r.t < b]
        starts = [r for r in reqs if r.name == "video-start"]
        writes = [w for w in placed.writes if a <= w.t < b]
        rps.append(len(reqs) / max((b - a) / speed, 1e-9))
        p95.append(percentile([r.ms for r in starts], 95))
        errors.append(100.0 * sum(not r.ok for r in starts) / len(starts) if starts else None)
        rejected.append(100.0 * sum(not w.acknowledged for w in writes) / len(writes) if writes else None)
    return {"rps": rps, "p95": p95, "errors": errors, "rejected": rejected}


def nan_for_none(values: Sequence[float | None]) -> list[float]:
    return [float("nan") if v is None else v for v in values]


def shade_phases(ax: Axes, record: RunRecord, origin: float, label: bool = False) -> None:
    for phase, (a, b) in phase_windows(record).items():
        if b > a:
            ax.axvspan(minutes(a, origin), minutes(b, origin), color=PHASE_COLOURS[phase], zorder=0, lw=0)
            if label:
                ax.text(
                    minutes((a + b) / 2, origin),
                    1.02,
                    phase.value,
                    transform=ax.get_xaxis_transform(),
                    ha="center",
                    va="bottom",
                    fontsize=9,
                    color=MUTED,
                )
    for key, colour in (("fault_injected", ALERT), ("fault_cleared", GOOD)):
        if key in record.marks:
            ax.axvline(minutes(record.marks[key], origin), color=colour, lw=1.2, ls="--")


def poll_series(record: RunRecord, name: str, origin: float) -> tuple[list[float], list[float]]:
    points = [
        (minutes(p.t, origin), p.values[name])
        for p in record.polls
        if name in p.values and record.started_model_s <= p.t <= record.ended_model_s
    ]
    return [x for x, _ in points], [y for _, y in points]


def style(ax: Axes, title: str, ylabel: str) -> None:
    ax.set_title(title, loc="left", fontsize=11, color=INK, fontweight="bold", pad=14)
    ax.set_ylabel(ylabel, color=MUTED, fontsize=9)
    ax.grid(axis="y", color="#d9dee3", lw=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(colors=MUTED, labelsize=8)


def draw_load(ax: Axes, record: RunRecord, xs: list[float], series: dict[str, list[float | None]]) -> None:
    ax.plot(xs, nan_for_none(series["rps"]), color=ACCENT, lw=1.8, label="Locust requests / s")
    style(ax, "Load", "requests / s")
    mx, my = poll_series(record, "video_starts_per_min", record.started_model_s)
    if mx:
        twin = ax.twinx()
        twin.plot(mx, my, color=MUTED, lw=1, ls=":", label="modelled video starts / min")
        twin.tick_params(colors=MUTED, labelsize=8)
        twin.spines["top"].set_visible(False)
        twin.set_ylabel("modelled starts / min", color=MUTED, fontsize=9)


def draw_latency(ax: Axes, xs: list[float], series: dict[str, list[float | None]], slo_ms: float | None) -> None:
    ax.plot(xs, nan_for_none(series["p95"]), color=INK, lw=1.8, marker="o", ms=3)
    if slo_ms is not None:
        ax.axhline(slo_ms, color=ALERT, lw=1, ls="-", alpha=0.8)
        ax.annotate(f"SLO {slo_ms:.0f} ms", (xs[0] if xs else 0, slo_ms), color=ALERT, fontsize=8, va="bottom")
    style(ax, "Video start p95 (Locust)", "ms")


def draw_failures(ax: Axes, xs: list[float], series: dict[str, list[float | None]]) -> None:
    ax.plot(xs, nan_for_none(series["errors"]), color=ALERT, lw=1.8, label="failed starts")
    ax.plot(
        xs, nan_for_none(series["rejected"]), color="#d68910", lw=1.4, ls="--", label="writes refused after retries"
    )
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    style(ax, "Failures seen by users", "% of requests")


def draw_capacity(ax: Axes, record: RunRecord, decisions: Sequence[dict[str, Any]]) -> None:
    origin = record.started_model_s
    for name, colour, label in (
        ("table_capacity_wcu", GOOD, "table capacity (WCU)"),
        ("table_consumed_wcu", ACCENT, "consumed (WCU)"),
    ):
        x, y = poll_series(record, name, origin)
        if x:
            ax.plot(x, y, color=colour, lw=1.6, label=label)
    x, y = poll_series(record, "write_buffer_depth", origin)
    if x and max(y, default=0) > 0:
        twin = ax.twinx()
        twin.fill_between(x, y, color="#d68910", alpha=0.25, lw=0, label="write buffer depth")
        twin.set_ylabel("buffer depth", color=MUTED, fontsize=9)
        twin.tick_params(colors=MUTED, labelsize=8)
    top = ax.get_ylim()[1]
    for d in decisions:
        if not record.started_model_s <= float(d.get("at", origin)) <= record.ended_model_s:
            continue
        at = minutes(float(d.get("at", origin)), origin)
        ax.plot([at], [top * 0.97], marker="v", color="#6c3483", ms=6)
    if decisions:
        ax.plot([], [], marker="v", color="#6c3483", ls="", label="controller decision")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    style(ax, "Capacity and controller decisions", "write units / s")
    ax.set_xlabel("model minutes since the start of the war game", color=MUTED, fontsize=9)


def render_timeline_svg(record: RunRecord, placed: Placed, slo_ms: float | None) -> str:
    """The whole chart as an SVG string (inline-able in HTML)."""
    origin = record.started_model_s
    bins = split_bins(origin, record.ended_model_s, record.spec.bin_s)
    series = bin_series(placed, bins, record.spec.speed)
    xs = [minutes((a + b) / 2, origin) for a, b in bins]
    fig, axes = plt.subplots(4, 1, figsize=(11, 10), sharex=True, gridspec_kw={"hspace": 0.45})
    draw_load(axes[0], record, xs, series)
    draw_latency(axes[1], xs, series, slo_ms)
    draw_failures(axes[2], xs, series)
    draw_capacity(axes[3], record, record.decisions)
    for i, ax in enumerate(axes):
        shade_phases(ax, record, origin, label=i == 0)
        ax.set_xlim(0, minutes(record.ended_model_s, origin))
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]
