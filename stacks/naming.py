"""Physical names and cross-stack exports, in one place so every stack agrees on them.

S3 bucket names are global, and the global stack finds the jurisdiction stacks' origins through
``StackReference``: both sides must compute the same names. The jurisdiction program exports
exactly :func:`jurisdiction_exports`' keys, and the offline planner answers a ``StackReference``
with the same function, so a plan of ``prod-global`` sees the origins ``prod-eu`` would create.
"""

from __future__ import annotations

from typing import Any

from stacks.model import BucketSpec, PlatformModel

ORIGIN_BUCKET_PURPOSE = "renditions"


def bucket_name(model: PlatformModel, bucket: BucketSpec, region: str) -> str:
    """``reelops-prod-eu-renditions-eu-west-1``: unique per stack, bucket and region."""
    return f"{model.project}-{model.stack}-{bucket.name}-{region}"


def regional_domain(bucket: str, region: str) -> str:
    return f"{bucket}.s3.{region}.amazonaws.com"


def origin_bucket(model: PlatformModel) -> BucketSpec | None:
    """The bucket CloudFront serves from (renditions)."""
    return next((b for b in model.settings.buckets if b.purpose == ORIGIN_BUCKET_PURPOSE), None)


def jurisdiction_exports(model: PlatformModel) -> dict[str, Any]:
    """The outputs a jurisdiction stack exports for the global stack (plain values)."""
    home, overflow = model.home_region, model.overflow_region
    assert model.jurisdiction is not None and home is not None and overflow is not None
    exports: dict[str, Any] = {
        "jurisdiction": model.jurisdiction.name,
        "home_region": home,
        "overflow_region": overflow,
    }
    bucket = origin_bucket(model)
    if bucket is not None:
        exports["origin_primary_domain"] = regional_domain(bucket_name(model, bucket, home), home)
        if bucket.replicate_to_overflow:
            exports["origin_secondary_domain"] = regional_domain(bucket_name(model, bucket, overflow), overflow)
    return exports
