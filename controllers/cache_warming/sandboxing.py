"""The cache warmer on the sandbox: encode completions from its pools, views from its metrics port.

The sandbox's encode pools are a fluid model: they count jobs going live per jurisdiction (uploads
the model generates and uploads sent to the edge API alike), not individual videos. This feed turns
each whole job gone live since the last call into one :class:`EncodedVideo`, so the warmer decides
on every completion as it would on the real pipeline's completion events. The sandbox does not model
creators' follower geography, so completions carry none: the warmer takes its new-creator path
(origin shield + nearest allowed shields), always inside the video's jurisdiction. Viral detection
reads ``views_per_min`` per video from the metrics port (the sandbox's social cascades).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from controllers.cache_warming.models import EncodedVideo, WarmingConfig, WarmingDecision
from controllers.cache_warming.warming import CacheWarming, WarmingPorts
from sandbox.engine import Sandbox
from stacks.model import PlatformModel


class SandboxCompletions:
    """Encode completions since the last call, one ``EncodedVideo`` per whole job gone live."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.emitted = [float(n) for n in sandbox.pools.went_live]  # completions before wiring are history
        self.total = 0

    def __call__(self) -> Sequence[EncodedVideo]:
        videos: list[EncodedVideo] = []
        for j, jurisdiction in enumerate(self.sandbox.jurisdiction_names):
            whole = int(float(self.sandbox.pools.went_live[j]) - self.emitted[j])
            self.emitted[j] += whole
            for _ in range(whole):
                self.total += 1
                videos.append(EncodedVideo(video_id=f"encoded-{jurisdiction}-{self.total}", jurisdiction=jurisdiction))
        return videos


class SandboxWarming(CacheWarming):
    """The cache warmer fed by the sandbox's completions, tallying what it asked the warmer port for."""

    def __init__(self, sandbox: Sandbox, config: WarmingConfig) -> None:
        self.feed = SandboxCompletions(sandbox)
        super().__init__(config, completions=self.feed)
        self.requests: Counter[str] = Counter()  # reason -> warm requests applied

    def apply(self, decision: WarmingDecision, ports: WarmingPorts, *, dry_run: bool) -> None:
        super().apply(decision, ports, dry_run=dry_run)
        if not dry_run:
            self.requests.update(str(p.reason) for p in decision.plans if p.request is not None)


def build_sandbox_warming(sandbox: Sandbox, platform: PlatformModel | None = None) -> SandboxWarming:
    """The warmer for ``sandbox``: policy from the global platform model (every region's shield)."""
    model = platform or sandbox.global_model
    if model is None:
        raise ValueError("the cache warmer needs the global platform model (prod-global) for its shield policy")
    return SandboxWarming(sandbox, WarmingConfig.from_platform(model))
