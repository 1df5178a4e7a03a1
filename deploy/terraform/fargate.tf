# Fargate: the position simulator's pods run there, each on a micro-VM of its own, with no node to
# manage. It suits the simulator: stateless, no AWS API calls, nothing it needs from a node. The
# other workloads stay on nodes, as Fargate does not run DaemonSets (the log collector), mount EBS
# volumes (the databases, the broker), or serve Pod Identity credentials (media, the controllers).
# Nor does the VPC CNI enforce NetworkPolicies on Fargate: the simulator's own egress policy is not
# enforced there, but the broker's ingress policy, on its node, still admits it only to AMQP.

resource "aws_iam_role" "fargate" {
  name = "${local.name}-fargate"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "eks-fargate-pods.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        ArnLike = {
          "aws:SourceArn" = "arn:${local.partition}:eks:${local.region}:${local.account_id}:fargateprofile/${local.name}/*"
        }
      }
    }]
  })
}

# Pull the image from ECR, nothing more: the pod execution role is Fargate's, not the pod's.
resource "aws_iam_role_policy_attachment" "fargate" {
  role       = aws_iam_role.fargate.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy"
}

resource "aws_eks_fargate_profile" "position_simulator" {
  cluster_name           = aws_eks_cluster.this.name
  fargate_profile_name   = "position-simulator"
  pod_execution_role_arn = aws_iam_role.fargate.arn
  subnet_ids             = aws_subnet.private[*].id

  selector {
    namespace = "position-simulator"
    labels    = { app = "position-simulator" }
  }

  depends_on = [aws_iam_role_policy_attachment.fargate]
}

# The simulator's logs: on Fargate no DaemonSet collects them, and EKS's own log router writes them
# to CloudWatch Logs with this role (the ConfigMap aws-logging of deploy/k8s/overlays/aws/logging,
# docs/logging.md), into its one log group and nowhere else.
resource "aws_iam_role_policy" "fargate_logs" {
  name = "fargate-logs"
  role = aws_iam_role.fargate.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      Action = [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
        "logs:PutRetentionPolicy",
      ]
      Resource = [
        "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/convoy/fargate",
        "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/convoy/fargate:*",
      ]
    }]
  })
}
