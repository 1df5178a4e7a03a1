# The pipeline's access (.github/workflows, docs/ci-cd.md): GitHub's OIDC provider, and two roles
# that trust this repository's tokens only, so that no AWS key exists anywhere.
#   images  (images.yml): main and release tags; pushes to Convoy's ECR repositories.
#   deploy  (deploy.yml): the deploy environment only, whose reviewers approve each deployment;
#           reads the images' digests and deploys to Convoy's namespaces, through an access entry.

# An account has one OIDC provider per URL: if GitHub's is there already (another project made
# it), name it in github_oidc_provider_arn and it is used instead of made.
resource "aws_iam_openid_connect_provider" "github" {
  count = var.github_oidc_provider_arn == null ? 1 : 0

  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

locals {
  github_oidc_provider_arn = coalesce(var.github_oidc_provider_arn, one(aws_iam_openid_connect_provider.github[*].arn))

  github_sub = "token.actions.githubusercontent.com:sub"
  github_aud = "token.actions.githubusercontent.com:aud"

  # A role that GitHub's tokens for these subjects may assume, and no other token.
  github_trust = {
    images = ["repo:${var.github_repository}:ref:refs/heads/main", "repo:${var.github_repository}:ref:refs/tags/release*"]
    deploy = ["repo:${var.github_repository}:environment:${var.github_environment}"]
  }

  ecr_repository_arns = [for repository in aws_ecr_repository.service : repository.arn]
}

resource "aws_iam_role" "ci" {
  for_each = local.github_trust

  name                 = "${local.name}-${each.key}"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = local.github_oidc_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = { (local.github_aud) = "sts.amazonaws.com" }
        StringLike   = { (local.github_sub) = each.value }
      }
    }]
  })
}

# images: log in to ECR, push, and read back what it pushed (the retag, the scan, the attestation).
resource "aws_iam_role_policy" "images" {
  name = "push-images"
  role = aws_iam_role.ci["images"].name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Login"
        Effect   = "Allow"
        Action   = "ecr:GetAuthorizationToken"
        Resource = "*"
      },
      {
        Sid    = "Push"
        Effect = "Allow"
        Action = [
          "ecr:BatchCheckLayerAvailability",
          "ecr:InitiateLayerUpload",
          "ecr:UploadLayerPart",
          "ecr:CompleteLayerUpload",
          "ecr:PutImage",
          "ecr:BatchGetImage",
          "ecr:GetDownloadUrlForLayer",
          "ecr:DescribeImages",
        ]
        Resource = local.ecr_repository_arns
      },
    ]
  })
}

# deploy: find the cluster (aws eks update-kubeconfig) and read the images' digests.
resource "aws_iam_role_policy" "deploy" {
  name = "deploy"
  role = aws_iam_role.ci["deploy"].name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Cluster"
        Effect   = "Allow"
        Action   = "eks:DescribeCluster"
        Resource = aws_eks_cluster.this.arn
      },
      {
        Sid      = "Digests"
        Effect   = "Allow"
        Action   = "ecr:DescribeImages"
        Resource = local.ecr_repository_arns
      },
    ]
  })
}

# In the cluster, the deploy role is the group convoy-deployers and nothing more: what that group
# may do is Kubernetes RBAC in the aws overlay (deployer-rbac.yaml), the kinds Convoy's manifests
# hold in Convoy's namespaces, and Convoy's own cluster-wide objects by name.
resource "aws_eks_access_entry" "deploy" {
  cluster_name      = aws_eks_cluster.this.name
  principal_arn     = aws_iam_role.ci["deploy"].arn
  type              = "STANDARD"
  kubernetes_groups = ["convoy-deployers"]
}
