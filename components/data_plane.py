"""DataPlane: a jurisdiction's tables, write buffer, buckets and keys, all kept inside it.

SPEC section 5: DynamoDB tables on demand with point-in-time recovery, KMS encryption, streams
where a consumer needs them, and replicas only in the jurisdiction's overflow region (priority-1
tables, the hot standby of SPEC section 8 scenario 1). The write buffer and other queues get a
dead-letter queue. Upload and rendition buckets are KMS-encrypted, versioned, private, tiered by
the model's lifecycle days, and replicated only to the overflow region. Each tenant gets its own
KMS key (SPEC section 2, multi-tenancy).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.documents import key_policy, origin_read_policy
from components.queues import make_queue_with_dlq
from components.tagging import DATA_PLANE_TAG, assume_role_policy, cost_tags, policy_document
from stacks.model import BucketSpec, QueueSpec, TableSpec, TenantSpec

WARM_STORAGE_CLASS = "STANDARD_IA"
COLD_STORAGE_CLASS = "GLACIER"


@dataclass(frozen=True)
class DataPlaneArgs:
    prefix: str
    home_region: str
    overflow_region: str
    tables: tuple[TableSpec, ...]
    queues: tuple[QueueSpec, ...]
    buckets: tuple[BucketSpec, ...]
    bucket_names: dict[tuple[str, str], str]
    tenants: tuple[TenantSpec, ...]
    overflow_provider: aws.Provider
    protect_data: bool = True
    origin_purpose: str = "renditions"


class DataPlane(pulumi.ComponentResource):
    """Tables, queues, buckets and KMS keys of one jurisdiction."""

    data_key_arn: pulumi.Output[str]
    tenant_key_arns: dict[str, pulumi.Output[str]]
    table_arns: dict[str, pulumi.Output[str]]
    queue_urls: dict[str, pulumi.Output[str]]
    bucket_arns: dict[str, pulumi.Output[str]]
    bucket_domains: dict[str, pulumi.Output[str]]
    replica_domains: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: DataPlaneArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("reelops:data:DataPlane", name, None, opts)
        self.name, self.args = name, args
        self.home = pulumi.ResourceOptions(parent=self)
        self.overflow = pulumi.ResourceOptions(parent=self, provider=args.overflow_provider)
        self.account = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self)).account_id
        self.data_key_arn = self.make_key(f"{name}-data-key", "data", self.home)
        self.overflow_key_arn = self.make_key(f"{name}-data-key-{args.overflow_region}", "data", self.overflow)
        self.tenant_key_arns = {
            t.id: self.make_key(f"{name}-tenant-{t.id}", "storage", self.home, alias=f"tenant-{t.id}")
            for t in args.tenants
        }
        self.table_arns = {t.name: self.make_table(t) for t in args.tables}
        self.queue_urls = {q.name: self.make_queue(q) for q in args.queues}
        self.bucket_arns, self.bucket_domains, self.replica_domains = {}, {}, {}
        self.versioning: dict[str, aws.s3.BucketVersioning] = {}
        for bucket in args.buckets:
            self.make_bucket_pair(bucket)
        self.register_outputs(
            {
                "data_key_arn": self.data_key_arn,
                "tenant_key_arns": self.tenant_key_arns,
                "table_arns": self.table_arns,
                "queue_urls": self.queue_urls,
                "bucket_arns": self.bucket_arns,
            }
        )

    def make_key(
        self, name: str, cost_center: str, opts: pulumi.ResourceOptions, alias: str = ""
    ) -> pulumi.Output[str]:
        key = aws.kms.Key(
            name,
            description=f"reelops {self.args.prefix} {alias or 'data'} key",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=self.account.apply(key_policy),
            tags=cost_tags(cost_center),
            opts=opts,
        )
        aws.kms.Alias(
            f"{name}-alias", name=f"alias/{self.args.prefix}-{alias or name}", target_key_id=key.key_id, opts=opts
        )
        return key.arn

    def make_table(self, table: TableSpec) -> pulumi.Output[str]:
        replicate = table.priority == 1
        keys = [k for k in (table.hash_key, table.range_key) if k]
        resource = aws.dynamodb.Table(
            f"{self.name}-{table.name}",
            name=f"{self.args.prefix}-{table.name}",
            billing_mode="PAY_PER_REQUEST",
            hash_key=table.hash_key,
            range_key=table.range_key,
            attributes=[{"name": k, "type": "S"} for k in keys],
            point_in_time_recovery={"enabled": True},
            server_side_encryption={"enabled": True, "kms_key_arn": self.data_key_arn},
            stream_enabled=table.stream or replicate,
            stream_view_type="NEW_AND_OLD_IMAGES" if (table.stream or replicate) else None,
            replicas=[
                {
                    "region_name": self.args.overflow_region,
                    "kms_key_arn": self.overflow_key_arn,
                    "point_in_time_recovery": True,
                    "propagate_tags": True,
                }
            ]
            if replicate
            else None,
            deletion_protection_enabled=self.args.protect_data,
            tags=cost_tags(table.cost_center.value, priority=f"p{table.priority}"),
            opts=self.home,
        )
        return resource.arn

    def make_queue(self, queue: QueueSpec) -> pulumi.Output[str]:
        return make_queue_with_dlq(
            f"{self.name}-{queue.name}", f"{self.args.prefix}-{queue.name}", queue, self.data_key_arn, "data", self.home
        )[0].url

    def make_bucket_pair(self, bucket: BucketSpec) -> None:
        args = self.args
        home = self.make_bucket(bucket, args.home_region, self.data_key_arn, self.home)
        self.bucket_arns[bucket.purpose] = home.arn
        self.bucket_domains[bucket.purpose] = home.bucket_regional_domain_name
        if bucket.replicate_to_overflow:
            replica = self.make_bucket(bucket, args.overflow_region, self.overflow_key_arn, self.overflow)
            self.replica_domains[bucket.purpose] = replica.bucket_regional_domain_name
            self.replicate(bucket, home, replica)

    def make_bucket(
        self, spec: BucketSpec, region: str, key_arn: pulumi.Output[str], opts: pulumi.ResourceOptions
    ) -> aws.s3.Bucket:
        name = f"{self.name}-{spec.name}-{region}"
        bucket = aws.s3.Bucket(
            name, bucket=self.args.bucket_names[(spec.name, region)], tags=cost_tags(spec.cost_center.value), opts=opts
        )
        block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=opts,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=opts
        )
        self.versioning[name] = aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=opts
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": key_arn,
                    },
                    "bucket_key_enabled": True,
                }
            ],
            opts=opts,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle", bucket=bucket.id, rules=[lifecycle_rule(spec)], opts=opts
        )
        if spec.purpose == self.args.origin_purpose:
            aws.s3.BucketPolicy(
                f"{name}-origin-access",
                bucket=bucket.id,
                policy=pulumi.Output.all(bucket.arn, self.account).apply(lambda a: origin_read_policy(a[0], a[1])),
                opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[block])),
            )
        return bucket

    def replicate(self, spec: BucketSpec, source: aws.s3.Bucket, replica: aws.s3.Bucket) -> None:
        name = f"{self.name}-{spec.name}-replication"
        role = aws.iam.Role(
            name,
            assume_role_policy=assume_role_policy("s3.amazonaws.com"),
            tags=cost_tags(spec.cost_center.value, **dict([DATA_PLANE_TAG])),
            opts=self.home,
        )
        document = pulumi.Output.all(source.arn, replica.arn, self.data_key_arn, self.overflow_key_arn).apply(
            lambda a: policy_document(
                [
                    ("ReadSourceConfig", ["s3:GetReplicationConfiguration", "s3:ListBucket"], [a[0]]),
                    (
                        "ReadSourceVersions",
                        ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
                        [f"{a[0]}/*"],
                    ),
                    ("WriteReplica", ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], [f"{a[1]}/*"]),
                    ("DecryptSource", ["kms:Decrypt"], [a[2]]),
                    ("EncryptReplica", ["kms:Encrypt", "kms:GenerateDataKey"], [a[3]]),
                ]
            )
        )
        aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=document, opts=self.home)
        depends = [
            self.versioning[f"{self.name}-{spec.name}-{r}"] for r in (self.args.home_region, self.args.overflow_region)
        ]
        aws.s3.BucketReplicationConfig(
            name,
            bucket=source.id,
            role=role.arn,
            rules=[
                {
                    "id": "overflow",
                    "status": "Enabled",
                    "filter": {},
                    "priority": 1,
                    "delete_marker_replication": {"status": "Enabled"},
                    "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
                    "destination": {
                        "bucket": replica.arn,
                        "storage_class": "STANDARD",
                        "encryption_configuration": {"replica_kms_key_id": self.overflow_key_arn},
                    },
                }
            ],
            opts=pulumi.ResourceOptions.merge(self.home, pulumi.ResourceOptions(depends_on=depends)),
        )


def lifecycle_rule(spec: BucketSpec) -> dict[str, object]:
    """Hot (standard) < warm_after_days <= warm (IA) < cold_after_days <= cold (archive), SPEC section 5."""
    transitions = [
        {"days": spec.warm_after_days, "storage_class": WARM_STORAGE_CLASS},
        {"days": spec.cold_after_days, "storage_class": COLD_STORAGE_CLASS},
    ]
    noncurrent = [
        {"noncurrent_days": spec.warm_after_days, "storage_class": WARM_STORAGE_CLASS},
        {"noncurrent_days": spec.cold_after_days, "storage_class": COLD_STORAGE_CLASS},
    ]
    return {
        "id": "tiering",
        "status": "Enabled",
        "filter": {},
        "transitions": transitions,
        "noncurrent_version_transitions": noncurrent,
    }
