# The cluster: the EKS control plane and the IAM role it acts with. With nodes.tf, this is the
# minimum an EKS cluster needs: the cluster and a node group, each with its IAM role.
#
# Who may use it is decided by access entries (access.tf), not by the aws-auth ConfigMap: the
# authentication mode is API, and not even this configuration's caller is an admin unless listed.

resource "aws_iam_role" "cluster" {
  name = "${local.name}-cluster"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "eks.amazonaws.com" }
      Action    = ["sts:AssumeRole", "sts:TagSession"]
    }]
  })
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonEKSClusterPolicy"
}

# Kubernetes Secrets are encrypted in etcd with this key (envelope encryption), on top of EBS's.
resource "aws_kms_key" "secrets" {
  description         = "${local.name}: EKS secrets encryption"
  enable_key_rotation = true
}

resource "aws_kms_alias" "secrets" {
  name          = "alias/${local.name}-eks-secrets"
  target_key_id = aws_kms_key.secrets.key_id
}

resource "aws_iam_role_policy" "cluster_kms" {
  name = "secrets-encryption"
  role = aws_iam_role.cluster.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:ListGrants", "kms:CreateGrant"]
      Resource = aws_kms_key.secrets.arn
    }]
  })
}

# The control plane's logs, created here so that their retention is ours (EKS would create the
# group with none, and keep them forever).
resource "aws_cloudwatch_log_group" "cluster" {
  name              = "/aws/eks/${local.name}/cluster"
  retention_in_days = var.log_retention_days
}

resource "aws_eks_cluster" "this" {
  name     = local.name
  version  = var.kubernetes_version
  role_arn = aws_iam_role.cluster.arn

  access_config {
    authentication_mode                         = "API"
    bootstrap_cluster_creator_admin_permissions = false
  }

  vpc_config {
    subnet_ids              = aws_subnet.private[*].id
    endpoint_private_access = true
    endpoint_public_access  = length(var.api_public_cidrs) > 0
    public_access_cidrs     = length(var.api_public_cidrs) > 0 ? var.api_public_cidrs : null
  }

  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = aws_kms_key.secrets.arn
    }
  }

  enabled_cluster_log_types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  # The add-ons are EKS's managed ones (addons.tf), not the unmanaged copies EKS would install.
  bootstrap_self_managed_addons = false

  # Standard support only: past it the cluster must be upgraded, not billed for extended support.
  upgrade_policy {
    support_type = "STANDARD"
  }

  depends_on = [
    aws_iam_role_policy_attachment.cluster,
    aws_iam_role_policy.cluster_kms,
    aws_cloudwatch_log_group.cluster,
  ]
}

# Karpenter finds the security group of its nodes by this tag: the cluster security group EKS made,
# which every node and the control plane share.
resource "aws_ec2_tag" "cluster_security_group_discovery" {
  resource_id = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
  key         = "karpenter.sh/discovery"
  value       = local.name
}
