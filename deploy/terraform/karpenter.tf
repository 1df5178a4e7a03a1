# Karpenter: the AWS side of the node autoscaler that starts EC2 instances for pods that fit on no
# node (the base node group, nodes.tf, carries the steady load; Karpenter the rest, up to
# karpenter_cpu_limit). Karpenter itself (its Helm chart, NodePool and EC2NodeClass) is installed
# in the cluster later; what it needs from AWS is here:
#
#   - the controller's role, for its pod (kube-system/karpenter) through Pod Identity, allowed to
#     launch and end only instances tagged as this cluster's and a NodePool's;
#   - the node role its instances run with, and the access entry that lets them join the cluster;
#   - the interruption queue: EventBridge puts there the warnings EC2 and AWS Health give before an
#     instance goes away (a Spot reclaim, a rebalance recommendation, a scheduled retirement, a stop
#     or termination), so Karpenter can drain the node and start its replacement ahead of time.
#
# The controller's policy follows Karpenter's own reference (the CloudFormation template of its
# getting-started guide, v1.14), statement by statement, narrowed where this cluster allows it:
# one region, one account, one VPC, one node role. Its Helm values must match: settings.clusterName
# = the cluster's name, settings.interruptionQueue = the queue's name (outputs.tf), and the
# EC2NodeClass's role = the node role's name (Karpenter makes and deletes the instance profile).

locals {

  # The tag Karpenter puts on everything it creates ("owned"), and the prefixes of the ARNs it acts on.
  karpenter_cluster_tag = "kubernetes.io/cluster/${local.name}"
  karpenter_ec2_arn     = "arn:${local.partition}:ec2:${local.region}"
  karpenter_account_ec2 = "${local.karpenter_ec2_arn}:${local.account_id}"

  # What Karpenter creates when it launches a node, and tags at creation.
  karpenter_created_resources = [
    "${local.karpenter_account_ec2}:fleet/*",
    "${local.karpenter_account_ec2}:instance/*",
    "${local.karpenter_account_ec2}:volume/*",
    "${local.karpenter_account_ec2}:network-interface/*",
    "${local.karpenter_account_ec2}:launch-template/*",
    "${local.karpenter_account_ec2}:spot-instances-request/*",
  ]

  # The tags that mark an instance profile as made by this cluster's Karpenter, in this region.
  karpenter_instance_profile_resource_tags = {
    "aws:ResourceTag/${local.karpenter_cluster_tag}" = "owned"
    "aws:ResourceTag/topology.kubernetes.io/region"  = local.region
  }
  karpenter_instance_profile_request_tags = {
    "aws:RequestTag/${local.karpenter_cluster_tag}" = "owned"
    "aws:RequestTag/eks:eks-cluster-name"           = local.name
    "aws:RequestTag/topology.kubernetes.io/region"  = local.region
  }

  karpenter_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      # --- Launching nodes -------------------------------------------------------------------
      # An instance launch uses existing resources too, which Karpenter does not create and so
      # cannot be tagged: the AMI and its snapshots (Amazon's, in this region), and the subnets
      # and security groups, which must be in this cluster's VPC.
      {
        Sid      = "LaunchFromImages"
        Effect   = "Allow"
        Action   = ["ec2:RunInstances", "ec2:CreateFleet"]
        Resource = ["${local.karpenter_ec2_arn}::image/*", "${local.karpenter_ec2_arn}::snapshot/*"]
      },
      {
        Sid    = "LaunchIntoThisVpc"
        Effect = "Allow"
        Action = ["ec2:RunInstances", "ec2:CreateFleet"]
        Resource = [
          "${local.karpenter_account_ec2}:subnet/*",
          "${local.karpenter_account_ec2}:security-group/*",
        ]
        Condition = { ArnEquals = { "ec2:Vpc" = aws_vpc.this.arn } }
      },
      # Launch from a launch template only if Karpenter made it for this cluster.
      {
        Sid      = "LaunchFromOwnLaunchTemplates"
        Effect   = "Allow"
        Action   = ["ec2:RunInstances", "ec2:CreateFleet"]
        Resource = "${local.karpenter_account_ec2}:launch-template/*"
        Condition = {
          StringEquals = { "aws:ResourceTag/${local.karpenter_cluster_tag}" = "owned" }
          StringLike   = { "aws:ResourceTag/karpenter.sh/nodepool" = "*" }
        }
      },
      # Create instances, fleets, volumes, interfaces and launch templates only with this cluster's
      # tags in the request: whatever Karpenter makes is marked as this cluster's from the start.
      {
        Sid      = "CreateTaggedForThisCluster"
        Effect   = "Allow"
        Action   = ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"]
        Resource = local.karpenter_created_resources
        Condition = {
          StringEquals = {
            "aws:RequestTag/${local.karpenter_cluster_tag}" = "owned"
            "aws:RequestTag/eks:eks-cluster-name"           = local.name
          }
          StringLike = { "aws:RequestTag/karpenter.sh/nodepool" = "*" }
        }
      },
      # The tags above are written by ec2:CreateTags, as part of the create call: allowed then, and
      # with the same tags, not as a way to tag anything afterwards.
      {
        Sid      = "TagOnCreate"
        Effect   = "Allow"
        Action   = "ec2:CreateTags"
        Resource = local.karpenter_created_resources
        Condition = {
          StringEquals = {
            "aws:RequestTag/${local.karpenter_cluster_tag}" = "owned"
            "aws:RequestTag/eks:eks-cluster-name"           = local.name
            "ec2:CreateAction"                              = ["RunInstances", "CreateFleet", "CreateLaunchTemplate"]
          }
          StringLike = { "aws:RequestTag/karpenter.sh/nodepool" = "*" }
        }
      },
      # Afterwards, Karpenter names its instances (Name, karpenter.sh/nodeclaim): only its own, and
      # only those keys, so it can never retag an instance into or out of the cluster.
      {
        Sid      = "TagOwnInstances"
        Effect   = "Allow"
        Action   = "ec2:CreateTags"
        Resource = "${local.karpenter_account_ec2}:instance/*"
        Condition = {
          StringEquals                = { "aws:ResourceTag/${local.karpenter_cluster_tag}" = "owned" }
          StringLike                  = { "aws:ResourceTag/karpenter.sh/nodepool" = "*" }
          StringEqualsIfExists        = { "aws:RequestTag/eks:eks-cluster-name" = local.name }
          "ForAllValues:StringEquals" = { "aws:TagKeys" = ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"] }
        }
      },
      # End only the instances and launch templates it made for this cluster.
      {
        Sid      = "DeleteOwn"
        Effect   = "Allow"
        Action   = ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"]
        Resource = ["${local.karpenter_account_ec2}:instance/*", "${local.karpenter_account_ec2}:launch-template/*"]
        Condition = {
          StringEquals = { "aws:ResourceTag/${local.karpenter_cluster_tag}" = "owned" }
          StringLike   = { "aws:ResourceTag/karpenter.sh/nodepool" = "*" }
        }
      },
      # Left out of the reference: capacity reservations and placement groups (RunInstances on
      # capacity-reservation/* and placement-group/*), which Convoy's EC2NodeClass does not use. An
      # EC2NodeClass that selects them needs those two resources added to LaunchFromImages.

      # --- The node role and its instance profile --------------------------------------------
      # Hand the node role to EC2, and no other role: an instance can only ever get these rights.
      {
        Sid       = "PassNodeRole"
        Effect    = "Allow"
        Action    = "iam:PassRole"
        Resource  = aws_iam_role.karpenter_node.arn
        Condition = { StringEquals = { "iam:PassedToService" = "ec2.amazonaws.com" } }
      },
      # Karpenter makes an instance profile per EC2NodeClass, holding the node role. It may create
      # one only with this cluster's and region's tags, retag only those (keeping the tags), and
      # change or delete only those.
      {
        Sid      = "CreateInstanceProfile"
        Effect   = "Allow"
        Action   = "iam:CreateInstanceProfile"
        Resource = "arn:${local.partition}:iam::${local.account_id}:instance-profile/*"
        Condition = {
          StringEquals = local.karpenter_instance_profile_request_tags
          StringLike   = { "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass" = "*" }
        }
      },
      {
        Sid      = "TagOwnInstanceProfiles"
        Effect   = "Allow"
        Action   = "iam:TagInstanceProfile"
        Resource = "arn:${local.partition}:iam::${local.account_id}:instance-profile/*"
        Condition = {
          StringEquals = merge(local.karpenter_instance_profile_resource_tags, local.karpenter_instance_profile_request_tags)
          StringLike = {
            "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass" = "*"
            "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass"  = "*"
          }
        }
      },
      {
        Sid      = "ManageOwnInstanceProfiles"
        Effect   = "Allow"
        Action   = ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"]
        Resource = "arn:${local.partition}:iam::${local.account_id}:instance-profile/*"
        Condition = {
          StringEquals = local.karpenter_instance_profile_resource_tags
          StringLike   = { "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass" = "*" }
        }
      },
      {
        Sid      = "ReadInstanceProfiles"
        Effect   = "Allow"
        Action   = "iam:GetInstanceProfile"
        Resource = "arn:${local.partition}:iam::${local.account_id}:instance-profile/*"
      },

      # --- Reading: the cluster, the interruption queue, what EC2 offers ---------------------
      # The API server's endpoint and CA, for the nodes' bootstrap.
      {
        Sid      = "DescribeThisCluster"
        Effect   = "Allow"
        Action   = "eks:DescribeCluster"
        Resource = aws_eks_cluster.this.arn
      },
      # Read (and remove once handled) the interruption messages: this queue only.
      {
        Sid      = "InterruptionQueue"
        Effect   = "Allow"
        Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueUrl"]
        Resource = aws_sqs_queue.karpenter.arn
      },
      # The AMIs' IDs, from AWS's public parameters for EKS-optimized (AL2023, AL2) and Bottlerocket
      # images: read-only public data, but no other parameter of the account.
      {
        Sid    = "PublicAmiParameters"
        Effect = "Allow"
        Action = "ssm:GetParameter"
        Resource = [
          "arn:${local.partition}:ssm:${local.region}::parameter/aws/service/eks/optimized-ami/*",
          "arn:${local.partition}:ssm:${local.region}::parameter/aws/service/bottlerocket/*",
        ]
      },
      # Exceptions to scoping, as AWS allows no resource for these read-only calls: the Describe
      # calls that find instance types, prices, subnets, security groups and Karpenter's own
      # instances (held to this region), the price list, and the list of instance profiles.
      {
        Sid    = "DescribeEc2InThisRegion"
        Effect = "Allow"
        Action = [
          "ec2:DescribeCapacityReservations",
          "ec2:DescribeImages",
          "ec2:DescribeInstances",
          "ec2:DescribeInstanceStatus",
          "ec2:DescribeInstanceTypeOfferings",
          "ec2:DescribeInstanceTypes",
          "ec2:DescribeLaunchTemplates",
          "ec2:DescribePlacementGroups",
          "ec2:DescribeSecurityGroups",
          "ec2:DescribeSpotPriceHistory",
          "ec2:DescribeSubnets",
        ]
        Resource  = "*"
        Condition = { StringEquals = { "aws:RequestedRegion" = local.region } }
      },
      {
        Sid      = "Prices"
        Effect   = "Allow"
        Action   = "pricing:GetProducts"
        Resource = "*"
      },
      {
        Sid      = "ListInstanceProfiles"
        Effect   = "Allow"
        Action   = "iam:ListInstanceProfiles"
        Resource = "*"
      },
      # Whether ARC zonal shift has moved traffic away from a zone (Karpenter then avoids it): for
      # this cluster only.
      {
        Sid       = "ZonalShiftOfThisCluster"
        Effect    = "Allow"
        Action    = "arc-zonal-shift:GetManagedResource"
        Resource  = "*"
        Condition = { StringEquals = { "arc-zonal-shift:ResourceIdentifier" = aws_eks_cluster.this.arn } }
      },
    ]
  })
}

# --- The controller ------------------------------------------------------------------------------

# Its role, policy and Pod Identity association are the pod-identity.tf ones (pod_identities:
# karpenter, for kube-system/karpenter). The controller must run on the base node group (its Helm
# values' affinity), never on a node it manages itself.

# --- The nodes -----------------------------------------------------------------------------------

# The role of Karpenter's instances: the same rights as the base nodes' (nodes.tf), a role of its
# own so that the controller may pass this one and no other.
resource "aws_iam_role" "karpenter_node" {
  name = "${local.name}-karpenter-node"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

# Join the cluster, pull images, give pods their addresses: local.node_policies, as for the base
# nodes. Not AmazonSSMManagedInstanceCore, which Karpenter's reference adds: it is for Session
# Manager shells on the node, a way in past Kubernetes' RBAC and audit log that the base nodes do
# not have either (`kubectl debug node/<name>` reaches a node through the API instead). Karpenter
# reads the AMI parameters from SSM with its own role, not the nodes'.
resource "aws_iam_role_policy_attachment" "karpenter_node" {
  for_each = local.node_policies

  role       = aws_iam_role.karpenter_node.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.key}"
}

# EKS makes the access entries of managed node groups itself; Karpenter's instances are plain EC2
# instances, so their role needs one of type EC2_LINUX (which puts them in system:nodes).
resource "aws_eks_access_entry" "karpenter_node" {
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = aws_iam_role.karpenter_node.arn
  type          = "EC2_LINUX"
}

# --- Interruption handling -----------------------------------------------------------------------

# Messages are useful for minutes only (a Spot warning comes two minutes ahead): kept 5 minutes,
# encrypted with SQS's own key.
resource "aws_sqs_queue" "karpenter" {
  name                      = "${local.name}-karpenter"
  message_retention_seconds = 300
  sqs_managed_sse_enabled   = true
}

locals {
  # The events Karpenter reacts to, each a rule that sends it to the queue.
  karpenter_events = {
    # Spot: EC2 takes the instance back in two minutes.
    "spot-interruption" = { source = "aws.ec2", detail_type = "EC2 Spot Instance Interruption Warning", detail = null }
    # Spot: the instance is at raised risk of interruption.
    "rebalance" = { source = "aws.ec2", detail_type = "EC2 Instance Rebalance Recommendation", detail = null }
    # An instance stopping or terminating (by anyone): Karpenter replaces the node at once.
    "state-change" = { source = "aws.ec2", detail_type = "EC2 Instance State-change Notification", detail = null }
    # AWS Health: EC2's scheduled changes (instance retirement, maintenance), the only Health
    # events Karpenter acts on, so the rule sends no others.
    "scheduled-change" = {
      source      = "aws.health"
      detail_type = "AWS Health Event"
      detail      = { service = ["EC2"], eventTypeCategory = ["scheduledChange"] }
    }
  }
}

resource "aws_cloudwatch_event_rule" "karpenter" {
  for_each = local.karpenter_events

  name        = "${local.name}-karpenter-${each.key}"
  description = "Karpenter: ${each.value.detail_type} to its interruption queue"
  event_pattern = jsonencode(merge(
    { source = [each.value.source], "detail-type" = [each.value.detail_type] },
    each.value.detail == null ? {} : { detail = each.value.detail },
  ))
}

resource "aws_cloudwatch_event_target" "karpenter" {
  for_each = aws_cloudwatch_event_rule.karpenter

  rule      = each.value.name
  target_id = "karpenter-interruption-queue"
  arn       = aws_sqs_queue.karpenter.arn
}

# Who may write to the queue: EventBridge (and SQS, as in Karpenter's reference), for this
# configuration's rules only; and nobody over plain HTTP.
resource "aws_sqs_queue_policy" "karpenter" {
  queue_url = aws_sqs_queue.karpenter.url
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "EventsToQueue"
        Effect    = "Allow"
        Principal = { Service = ["events.amazonaws.com", "sqs.amazonaws.com"] }
        Action    = "sqs:SendMessage"
        Resource  = aws_sqs_queue.karpenter.arn
        Condition = { ArnEquals = { "aws:SourceArn" = [for rule in aws_cloudwatch_event_rule.karpenter : rule.arn] } }
      },
      {
        Sid       = "TlsOnly"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sqs:*"
        Resource  = aws_sqs_queue.karpenter.arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}
