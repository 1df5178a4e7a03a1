# What the mock AWS provider answers where its invented values would not do: ARNs that look like
# ARNs (IAM and EKS check them), the account, region and zones, and add-on versions.

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
    arn        = "arn:aws:iam::123456789012:user/test"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition  = "aws"
    dns_suffix = "amazonaws.com"
  }
}

mock_data "aws_availability_zones" {
  defaults = {
    names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  }
}

mock_data "aws_eks_addon_version" {
  defaults = {
    version = "v1.0.0-eksbuild.1"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/mock"
  }
}

mock_resource "aws_iam_openid_connect_provider" {
  defaults = {
    arn = "arn:aws:iam::123456789012:oidc-provider/mock"
  }
}

mock_resource "aws_eks_cluster" {
  defaults = {
    arn = "arn:aws:eks:eu-west-1:123456789012:cluster/convoy"
  }
}

mock_resource "aws_kms_key" {
  defaults = {
    arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    arn = "arn:aws:s3:::convoy-media-123456789012"
  }
}

mock_resource "aws_launch_template" {
  defaults = {
    id             = "lt-0123456789abcdef0"
    latest_version = 1
  }
}

mock_resource "aws_vpc" {
  defaults = {
    arn = "arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-0123456789abcdef0"
  }
}

mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:convoy-karpenter"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/convoy-karpenter"
  }
}

mock_resource "aws_cloudwatch_event_rule" {
  defaults = {
    arn = "arn:aws:events:eu-west-1:123456789012:rule/convoy-karpenter"
  }
}

# Each role its own ARN, so that a test can tell one role from another (a policy or an association
# wired to the wrong role fails).

override_resource {
  target = aws_iam_role.cluster
  values = { arn = "arn:aws:iam::123456789012:role/convoy-cluster" }
}

override_resource {
  target = aws_iam_role.node
  values = { arn = "arn:aws:iam::123456789012:role/convoy-node" }
}

override_resource {
  target = aws_iam_role.fargate
  values = { arn = "arn:aws:iam::123456789012:role/convoy-fargate" }
}

override_resource {
  target = aws_iam_role.ebs_csi_driver
  values = { arn = "arn:aws:iam::123456789012:role/convoy-ebs-csi-driver" }
}

override_resource {
  target = aws_iam_role.workload["media"]
  values = { arn = "arn:aws:iam::123456789012:role/convoy-media" }
}

override_resource {
  target = aws_iam_role.workload["external-secrets"]
  values = { arn = "arn:aws:iam::123456789012:role/convoy-external-secrets" }
}

override_resource {
  target = aws_iam_role.ci["images"]
  values = { arn = "arn:aws:iam::123456789012:role/convoy-images" }
}

override_resource {
  target = aws_iam_role.ci["deploy"]
  values = { arn = "arn:aws:iam::123456789012:role/convoy-deploy" }
}

override_resource {
  target = aws_iam_role.workload["karpenter"]
  values = { arn = "arn:aws:iam::123456789012:role/convoy-karpenter" }
}

override_resource {
  target = aws_iam_role.karpenter_node
  values = { arn = "arn:aws:iam::123456789012:role/convoy-karpenter-node" }
}

override_resource {
  target = aws_iam_role.workload["aws-load-balancer-controller"]
  values = { arn = "arn:aws:iam::123456789012:role/convoy-aws-load-balancer-controller" }
}

# And each of Karpenter's EventBridge rules its own ARN (the queue's policy names them).

override_resource {
  target = aws_cloudwatch_event_rule.karpenter["spot-interruption"]
  values = { arn = "arn:aws:events:eu-west-1:123456789012:rule/convoy-karpenter-spot-interruption" }
}

override_resource {
  target = aws_cloudwatch_event_rule.karpenter["rebalance"]
  values = { arn = "arn:aws:events:eu-west-1:123456789012:rule/convoy-karpenter-rebalance" }
}

override_resource {
  target = aws_cloudwatch_event_rule.karpenter["state-change"]
  values = { arn = "arn:aws:events:eu-west-1:123456789012:rule/convoy-karpenter-state-change" }
}

override_resource {
  target = aws_cloudwatch_event_rule.karpenter["scheduled-change"]
  values = { arn = "arn:aws:events:eu-west-1:123456789012:rule/convoy-karpenter-scheduled-change" }
}
