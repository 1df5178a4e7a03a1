# The managed node group for the system's base load: on-demand instances in the private subnets,
# between min_size and max_size. Past that, Karpenter (karpenter.tf) starts nodes for pods that do
# not fit. Pods cannot use this role: IMDSv2 with a hop limit of 1 keeps the instance metadata (and
# the role's credentials) from any pod not on the host network; the pods that call AWS have their
# own roles through Pod Identity (pod-identity.tf).

resource "aws_iam_role" "node" {
  name = "${local.name}-node"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

# What a node needs: join the cluster, pull images, and (aws-node, the VPC CNI's daemon on the host
# network) give pods their addresses.
locals {
  node_policies = toset([
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonEKS_CNI_Policy",
  ])
}

resource "aws_iam_role_policy_attachment" "node" {
  for_each = local.node_policies

  role       = aws_iam_role.node.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.key}"
}

resource "aws_launch_template" "node" {
  name_prefix = "${local.name}-node-"

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size           = 50
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = { Name = "${local.name}-base" }
  }
}

resource "aws_eks_node_group" "base" {
  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "${local.name}-base"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = aws_subnet.private[*].id
  version         = var.kubernetes_version

  ami_type       = "AL2023_x86_64_STANDARD"
  capacity_type  = "ON_DEMAND"
  instance_types = var.base_nodes.instance_types

  launch_template {
    id      = aws_launch_template.node.id
    version = aws_launch_template.node.latest_version
  }

  scaling_config {
    min_size     = var.base_nodes.min_size
    desired_size = var.base_nodes.desired_size
    max_size     = var.base_nodes.max_size
  }

  update_config {
    max_unavailable = 1
  }

  # EKS replaces a node that reports itself unhealthy.
  node_repair_config {
    enabled = true
  }

  labels = {
    "convoy.dev/capacity" = "base"
  }

  # Terraform sets the desired size when it makes the group, and leaves it alone after: a size set
  # by hand (aws eks update-nodegroup-config, the console) is not put back at the next apply.
  # Nothing resizes this group on its own; Karpenter adds nodes beside it.
  lifecycle {
    ignore_changes = [scaling_config[0].desired_size]
  }

  depends_on = [
    aws_iam_role_policy_attachment.node,
    # Networking and Pod Identity before the first node, so its pods start with both.
    aws_eks_addon.before_nodes,
  ]
}
