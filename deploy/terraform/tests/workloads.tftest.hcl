# What Convoy's workloads use on AWS, against a mock AWS provider: the Pod Identity roles of media
# and External Secrets Operator, the ECR repositories, media's bucket and the Secrets Manager entries.

mock_provider "aws" {
  source = "./tests/mocks"
}

# The passwords' provider stays real (the mock cannot serve ephemeral values) and unused: the
# tests turn generation off.
provider "aws" {
  alias                       = "passwords"
  region                      = "eu-west-1"
  access_key                  = "mock"
  secret_key                  = "mock"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}


run "pod_identity" {
  assert {
    condition = { for key, association in aws_eks_pod_identity_association.workload : key => "${association.namespace}/${association.service_account}" } == {
      media                          = "media/media"
      "external-secrets"             = "external-secrets/external-secrets"
      "aws-load-balancer-controller" = "kube-system/aws-load-balancer-controller"
      karpenter                      = "kube-system/karpenter"
    }
    error_message = "media, External Secrets Operator and the two controllers get their roles through their namespace and ServiceAccount."
  }
  assert {
    condition = alltrue([for role in aws_iam_role.workload :
      jsondecode(role.assume_role_policy).Statement[0].Principal == { Service = "pods.eks.amazonaws.com" } &&
      toset(jsondecode(role.assume_role_policy).Statement[0].Action) == toset(["sts:AssumeRole", "sts:TagSession"])
    ])
    error_message = "Each workload role trusts the Pod Identity service."
  }
  assert {
    condition = alltrue([for role in aws_iam_role.workload :
      jsondecode(role.assume_role_policy).Statement[0].Condition.ArnEquals["aws:SourceArn"] == aws_eks_cluster.this.arn &&
      jsondecode(role.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    ])
    error_message = "Only Pod Identity acting for this cluster may assume them."
  }
  assert {
    condition     = alltrue([for key, association in aws_eks_pod_identity_association.workload : association.role_arn == aws_iam_role.workload[key].arn && association.cluster_name == aws_eks_cluster.this.name])
    error_message = "Each association gives its workload its own role, in this cluster."
  }
}

run "media_reaches_its_objects_only" {
  assert {
    condition = toset(flatten([for statement in jsondecode(aws_iam_role_policy.workload["media"].policy).Statement : statement.Resource])) == toset([
      "arn:aws:s3:::convoy-media-123456789012/media/*",
      "arn:aws:s3:::convoy-media-123456789012",
    ])
    error_message = "media's role reaches its bucket's media/ objects, and the bucket for listing, nothing else."
  }
  assert {
    condition     = [for statement in jsondecode(aws_iam_role_policy.workload["media"].policy).Statement : statement.Action if statement.Resource == "arn:aws:s3:::convoy-media-123456789012"] == ["s3:ListBucket"]
    error_message = "On the bucket itself, media may only list (a missing object then reads as missing, not forbidden)."
  }
  assert {
    condition = toset(flatten([for statement in jsondecode(aws_iam_role_policy.workload["media"].policy).Statement : statement.Action if statement.Resource != "arn:aws:s3:::convoy-media-123456789012"])) == toset([
      "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload",
    ])
    error_message = "On its objects, media may read, write and delete, nothing more."
  }
}

run "external_secrets_reads_convoys_entries_only" {
  assert {
    condition     = toset(flatten([for statement in jsondecode(aws_iam_role_policy.workload["external-secrets"].policy).Statement : statement.Action])) == toset(["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"])
    error_message = "External Secrets Operator may read entries, not write or list them."
  }
  assert {
    condition     = toset(jsondecode(aws_iam_role_policy.workload["external-secrets"].policy).Statement[0].Resource) == toset([for secret in aws_secretsmanager_secret.this : secret.arn])
    error_message = "External Secrets Operator may read Convoy's entries, named one by one."
  }
}

run "ecr" {
  command = plan

  assert {
    condition     = toset([for repository in aws_ecr_repository.service : repository.name]) == toset(["convoy/auth", "convoy/converter", "convoy/fleet-events", "convoy/gateway", "convoy/media", "convoy/notification", "convoy/position-simulator", "convoy/position-tracker", "convoy/web"])
    error_message = "A repository per service, convoy/<service>."
  }
  assert {
    condition     = alltrue([for repository in aws_ecr_repository.service : repository.image_tag_mutability == "IMMUTABLE"])
    error_message = "Tags are immutable: a release tag names one image for good."
  }
  assert {
    condition     = alltrue([for repository in aws_ecr_repository.service : repository.image_scanning_configuration[0].scan_on_push])
    error_message = "Every image is scanned when pushed."
  }
  assert {
    condition     = alltrue([for repository in aws_ecr_repository.service : repository.force_delete == false])
    error_message = "A repository with images is not deleted unless force_destroy says so."
  }
}

run "ecr_lifecycle" {
  assert {
    condition = alltrue([for policy in aws_ecr_lifecycle_policy.service :
      [for rule in jsondecode(policy.policy).rules : [rule.rulePriority, rule.selection.tagPrefixList[0], rule.selection.countNumber]] == [[1, "release", 9999], [2, "sha-", 100]]
    ])
    error_message = "Releases are kept (a first rule matches them and expires none); commit images beyond the newest 100 expire."
  }
  assert {
    condition     = toset(keys(aws_ecr_lifecycle_policy.service)) == toset(keys(aws_ecr_repository.service))
    error_message = "Every repository has the lifecycle policy."
  }
}

run "media_bucket" {
  assert {
    condition     = aws_s3_bucket.media.bucket == "convoy-media-123456789012"
    error_message = "The bucket is convoy-media-<account>, as the aws overlay's BLOB_STORE_URL names it."
  }
  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.media.block_public_acls,
      aws_s3_bucket_public_access_block.media.block_public_policy,
      aws_s3_bucket_public_access_block.media.ignore_public_acls,
      aws_s3_bucket_public_access_block.media.restrict_public_buckets,
    ])
    error_message = "The bucket blocks every kind of public access."
  }
  assert {
    condition     = aws_s3_bucket_ownership_controls.media.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "No ACLs: only policies grant access."
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.media.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256"
    error_message = "Objects are encrypted at rest."
  }
  assert {
    condition = anytrue([for statement in jsondecode(aws_s3_bucket_policy.media.policy).Statement :
      statement.Effect == "Deny" && statement.Principal == "*" && statement.Action == "s3:*" &&
      try(statement.Condition.Bool["aws:SecureTransport"], "") == "false" &&
      toset(statement.Resource) == toset(["arn:aws:s3:::convoy-media-123456789012", "arn:aws:s3:::convoy-media-123456789012/*"])
    ])
    error_message = "Requests without TLS are refused, for the bucket and every object."
  }
  assert {
    condition = anytrue([for statement in jsondecode(aws_s3_bucket_policy.media.policy).Statement :
      statement.Effect == "Deny" && try(statement.Condition.NumericLessThan["s3:TlsVersion"], "") == "1.2"
    ])
    error_message = "TLS older than 1.2 is refused."
  }
}

run "media_lifecycle" {
  assert {
    condition     = aws_s3_bucket_versioning.media.versioning_configuration[0].status == "Enabled"
    error_message = "The bucket is versioned: a deleted job's objects stay recoverable for a while."
  }
  assert {
    condition     = one([for rule in aws_s3_bucket_lifecycle_configuration.media.rule : rule if rule.id == "deleted-jobs"]).noncurrent_version_expiration[0].noncurrent_days == 30 && one([for rule in aws_s3_bucket_lifecycle_configuration.media.rule : rule if rule.id == "deleted-jobs"]).expiration[0].expired_object_delete_marker
    error_message = "Deleted jobs' objects expire after 30 days, and their delete markers go."
  }
  assert {
    condition     = one([for rule in aws_s3_bucket_lifecycle_configuration.media.rule : rule if rule.id == "incomplete-uploads"]).abort_incomplete_multipart_upload[0].days_after_initiation == 1
    error_message = "Parts of uploads that never completed are removed after a day."
  }
}

run "secrets" {
  command = plan

  assert {
    condition = toset([for secret in aws_secretsmanager_secret.this : secret.name]) == toset([
      "convoy/auth-postgres", "convoy/position-tracker-postgres", "convoy/fleet-events-postgres", "convoy/media-postgres",
      "convoy/notification-postgres",
      "convoy/notification-smtp", "convoy/auth-admin", "convoy/queue", "convoy/gateway-valkey",
    ])
    error_message = "Secrets Manager holds every entry the aws overlay's ExternalSecrets read."
  }
  assert {
    condition     = alltrue([for secret in aws_secretsmanager_secret.this : secret.recovery_window_in_days == 7])
    error_message = "A deleted entry can be restored for a week."
  }
  assert {
    condition     = length(aws_secretsmanager_secret_version.generated) == 0
    error_message = "With generate_passwords off, the entries are made empty."
  }
  assert {
    condition = local.secret_keys == {
      "auth-postgres"             = toset(["username", "password"])
      "position-tracker-postgres" = toset(["username", "password"])
      "fleet-events-postgres"     = toset(["username", "password"])
      "media-postgres"            = toset(["username", "password"])
      "notification-postgres"     = toset(["username", "password"])
      "auth-admin"                = toset(["password"])
      "gateway-valkey"            = toset(["password"])
      "queue"                     = toset(["username", "password", "erlang-cookie"])
      "notification-smtp"         = toset(["username", "password"])
    }
    error_message = "Each entry holds the keys docs/deploy.md lists."
  }
}
