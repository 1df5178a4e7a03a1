# Pod Identity: a pod gets AWS credentials for the role associated with its namespace and
# ServiceAccount, from the agent on its node; no keys, no annotations, no OIDC provider. Each role
# trusts the Pod Identity service only, and may do exactly what its workload does, on its own
# resources. The controllers' policies are beside what they manage (load-balancer-controller.tf,
# karpenter.tf); the EBS CSI driver's association is its add-on's own (addons.tf).

locals {
  # The trust policy of every Pod Identity role: EKS's Pod Identity service, which tags the session
  # with the pod's cluster, namespace and ServiceAccount.
  pod_identity_trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "pods.eks.amazonaws.com" }
      Action    = ["sts:AssumeRole", "sts:TagSession"]
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnEquals    = { "aws:SourceArn" = aws_eks_cluster.this.arn }
      }
    }]
  })

  # The workloads of Convoy that call AWS, by Kubernetes namespace and ServiceAccount.
  pod_identities = {
    media = {
      namespace       = "media"
      service_account = "media"
      policy          = local.media_policy
    }
    external-secrets = {
      namespace       = "external-secrets"
      service_account = "external-secrets"
      policy          = local.external_secrets_policy
    }
    aws-load-balancer-controller = {
      namespace       = "kube-system"
      service_account = "aws-load-balancer-controller"
      policy          = local.lbc_policy
    }
    karpenter = {
      namespace       = "kube-system"
      service_account = "karpenter"
      policy          = local.karpenter_policy
    }
  }

  # media: its objects in its bucket (media-bucket.tf), under media/ (BLOB_STORE_URL's prefix), and
  # the listing that tells a missing object from a forbidden one.
  media_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Objects"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
        Resource = "${aws_s3_bucket.media.arn}/media/*"
      },
      {
        Sid      = "List"
        Effect   = "Allow"
        Action   = "s3:ListBucket"
        Resource = aws_s3_bucket.media.arn
      },
    ]
  })

  # External Secrets Operator: read Convoy's entries in Secrets Manager (secrets.tf), nothing else.
  external_secrets_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
      Resource = [for secret in aws_secretsmanager_secret.this : secret.arn]
    }]
  })
}

resource "aws_iam_role" "workload" {
  for_each = local.pod_identities

  name               = "${local.name}-${each.key}"
  assume_role_policy = local.pod_identity_trust
}

resource "aws_iam_role_policy" "workload" {
  for_each = local.pod_identities

  name   = each.key
  role   = aws_iam_role.workload[each.key].name
  policy = each.value.policy
}

resource "aws_eks_pod_identity_association" "workload" {
  for_each = local.pod_identities

  cluster_name    = aws_eks_cluster.this.name
  namespace       = each.value.namespace
  service_account = each.value.service_account
  role_arn        = aws_iam_role.workload[each.key].arn
}
