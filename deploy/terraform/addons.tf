# The cluster's EKS add-ons, each at the default version EKS gives this Kubernetes version (so an
# upgrade of kubernetes_version brings them along).
#
# Those that run on every node as DaemonSets come first, before any node: pod networking (vpc-cni,
# kube-proxy) and the EKS Pod Identity Agent, so that no pod ever starts without them. Those that are
# Deployments come after the node group, as they need a node to become active.

locals {
  addons_before_nodes = {
    # Network policy enforcement on: without it the VPC CNI ignores NetworkPolicies, and Convoy's
    # deny-by-default policies would do nothing on EKS.
    "vpc-cni" = jsonencode({ enableNetworkPolicy = "true" })
    # The service proxy on each node.
    "kube-proxy" = null
    # Serves Pod Identity credentials to pods on each node (169.254.170.23).
    "eks-pod-identity-agent" = null
  }
  addons_after_nodes = {
    "coredns" = null
    # Resource metrics for the HorizontalPodAutoscalers and `kubectl top`.
    "metrics-server" = null
  }
}

data "aws_eks_addon_version" "this" {
  for_each = setunion(keys(local.addons_before_nodes), keys(local.addons_after_nodes), ["aws-ebs-csi-driver"])

  addon_name         = each.key
  kubernetes_version = aws_eks_cluster.this.version
  # AWS's add-ons name a default version for each Kubernetes version; metrics-server, a community
  # add-on, may name none: its newest then.
  most_recent = each.key == "metrics-server"
}

resource "aws_eks_addon" "before_nodes" {
  for_each = local.addons_before_nodes

  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.key
  addon_version               = data.aws_eks_addon_version.this[each.key].version
  configuration_values        = each.value
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
}

resource "aws_eks_addon" "after_nodes" {
  for_each = local.addons_after_nodes

  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.key
  addon_version               = data.aws_eks_addon_version.this[each.key].version
  configuration_values        = each.value
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  depends_on = [aws_eks_node_group.base]
}

# The EBS CSI driver creates the StatefulSets' gp3 volumes (the aws overlay's StorageClass). Its
# controller calls EC2 with its own role, through a Pod Identity association the add-on creates
# itself, so the agent must run first.
resource "aws_eks_addon" "ebs_csi_driver" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "aws-ebs-csi-driver"
  addon_version               = data.aws_eks_addon_version.this["aws-ebs-csi-driver"].version
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  pod_identity_association {
    service_account = "ebs-csi-controller-sa"
    role_arn        = aws_iam_role.ebs_csi_driver.arn
  }

  depends_on = [
    aws_eks_addon.before_nodes["eks-pod-identity-agent"],
    aws_eks_node_group.base,
  ]
}

resource "aws_iam_role" "ebs_csi_driver" {
  name               = "${local.name}-ebs-csi-driver"
  assume_role_policy = local.pod_identity_trust
}

# AWS's policy for the driver: it may create, attach and delete only volumes it tagged as its own.
resource "aws_iam_role_policy_attachment" "ebs_csi_driver" {
  role       = aws_iam_role.ebs_csi_driver.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
}
