"""The cache warmer as a controller: encode completions and view windows in, warm requests out.

Completions (with the creator's 30-day follower geography) come from a feed given to the
controller; views come from the metrics port (``views_per_min`` per video and region), kept as a
short history so that the last ``viral_window_s`` can be compared with the one before it. A video
pushed globally is not pushed again while its surge lasts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from controllers.cache_warming.decide import decide
from controllers.cache_warming.models import (
    CONTROLLER,
    EncodedVideo,
    ViewWindow,
    WarmingConfig,
    WarmingDecision,
    WarmingObservation,
    WarmReason,
)
from ports.interfaces import CacheWarmer, MetricsSource, PortError
from ports.metrics import SignalName


class WarmingPorts(Protocol):
    @property
    def metrics(self) -> MetricsSource: ...

    @property
    def warmer(self) -> CacheWarmer: ...


def no_completions() -> Sequence[EncodedVideo]:
    return ()


class CacheWarming:
    """Controller: one decision per tick covering new encodes and tracked videos."""

    name = CONTROLLER

    def __init__(self, config: WarmingConfig, completions: Callable[[], Sequence[EncodedVideo]] = no_completions):
        self.config = config
        self.completions = completions
        self.history: dict[str, list[tuple[float, float]]] = {}  # video -> [(time, views/min)]
        self.jurisdiction: dict[str, str] = {}
        self.pushed: set[str] = set()

    def read_views(self, metrics: MetricsSource, now: float) -> None:
        per_video: dict[str, float] = {}
        for sample in metrics.read(SignalName.VIEWS_PER_MIN):
            video, region = sample.labels.get("video_id"), sample.labels.get("region", "")
            if not video or not (sample.value >= 0):  # NaN fails this test too
                raise PortError(f"views_per_min: malformed sample {sample.labels} = {sample.value!r}")
            per_video[video] = per_video.get(video, 0.0) + sample.value
            self.jurisdiction.setdefault(video, self.config.region_jurisdiction.get(region, ""))
        horizon = now - 2 * self.config.viral_window_s
        for video, rate in per_video.items():
            points = [p for p in self.history.get(video, []) if p[0] > horizon]
            self.history[video] = [*points, (now, rate)]

    def window(self, video: str, now: float) -> ViewWindow:
        w = self.config.viral_window_s
        points = self.history[video]

        def views(start: float, end: float) -> float:
            rates = [r for t, r in points if start < t <= end]
            return sum(rates) / len(rates) * w / 60.0 if rates else 0.0

        return ViewWindow(video_id=video, jurisdiction=self.jurisdiction[video], views_last=views(now - w, now),
                          views_before=views(now - 2 * w, now - w))  # fmt: skip

    def observe(self, ports: WarmingPorts, now: float) -> WarmingObservation:
        self.read_views(ports.metrics, now)
        windows = tuple(self.window(v, now) for v in self.history if v not in self.pushed and self.jurisdiction[v])
        return WarmingObservation(encoded=tuple(self.completions()), views=windows)

    def decide(self, observation: WarmingObservation, now: float) -> WarmingDecision:
        return decide(observation, self.config, now)

    def apply(self, decision: WarmingDecision, ports: WarmingPorts, *, dry_run: bool) -> None:
        for plan in decision.plans:
            if plan.request is not None:
                ports.warmer.warm(plan.request, dry_run=dry_run)
                if plan.reason is WarmReason.VIRAL and not dry_run:
                    self.pushed.add(plan.video_id)
