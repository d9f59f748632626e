"""Resource policies the data plane attaches so CloudFront (in the global stack) can read origins.

The global stack reads the jurisdiction stacks, not the other way round, so origin buckets and keys
cannot name the distribution. They trust CloudFront for any distribution of the same account
(``AWS:SourceArn`` condition), which is AWS's documented pattern for Origin Access Control.
"""

from __future__ import annotations

import json

CLOUDFRONT = "cloudfront.amazonaws.com"


def distributions_of(account_id: str) -> str:
    return f"arn:aws:cloudfront::{account_id}:distribution/*"


def key_policy(account_id: str) -> str:
    """The account administers the key; CloudFront may decrypt objects for this account's distributions."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudFrontReadsOrigins",
                    "Effect": "Allow",
                    "Principal": {"Service": CLOUDFRONT},
                    "Action": ["kms:Decrypt"],
                    "Resource": "*",
                    "Condition": {"StringLike": {"AWS:SourceArn": distributions_of(account_id)}},
                },
            ],
        },
        sort_keys=True,
    )


def origin_read_policy(bucket_arn: str, account_id: str) -> str:
    """CloudFront (Origin Access Control) may read objects; nobody may use plain HTTP."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "CloudFrontReads",
                    "Effect": "Allow",
                    "Principal": {"Service": CLOUDFRONT},
                    "Action": "s3:GetObject",
                    "Resource": f"{bucket_arn}/*",
                    "Condition": {"StringLike": {"AWS:SourceArn": distributions_of(account_id)}},
                },
                {
                    "Sid": "TlsOnly",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        },
        sort_keys=True,
    )
