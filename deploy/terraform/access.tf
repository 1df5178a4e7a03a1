# Who may use the Kubernetes API: access entries, one per IAM principal, each with EKS access
# policies. The cluster's administrators get cluster-admin; the deploy role of CI gets less (ci.tf).
# The nodes' roles need none here: EKS makes the entries of managed node groups and Fargate profiles
# itself, and Karpenter's is in karpenter.tf.

resource "aws_eks_access_entry" "admin" {
  for_each = toset(var.cluster_admins)

  cluster_name  = aws_eks_cluster.this.name
  principal_arn = each.key
  type          = "STANDARD"
}

resource "aws_eks_access_policy_association" "admin" {
  for_each = aws_eks_access_entry.admin

  cluster_name  = aws_eks_cluster.this.name
  principal_arn = each.value.principal_arn
  policy_arn    = "arn:${local.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

  access_scope {
    type = "cluster"
  }
}
