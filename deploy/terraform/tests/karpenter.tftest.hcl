# karpenter.tf: what Karpenter's controller may do in AWS (only to what it made for this cluster,
# passing only its node role), how its nodes join, and how interruption warnings reach it. Values
# known at plan are checked in a plan; those that depend on ARNs AWS would give (the policies,
# the trust, the targets) after an apply against the mock provider.

mock_provider "aws" {
  source = "./tests/mocks"
}

provider "aws" {
  alias                       = "passwords"
  region                      = "eu-west-1"
  access_key                  = "mock"
  secret_key                  = "mock"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}


run "plan" {
  command = plan

  assert {
    condition     = aws_iam_role.workload["karpenter"].name == "convoy-karpenter" && aws_iam_role.karpenter_node.name == "convoy-karpenter-node"
    error_message = "Karpenter's roles must be named convoy-karpenter (controller) and convoy-karpenter-node (nodes)."
  }

  assert {
    condition = (
      length(jsondecode(aws_iam_role.karpenter_node.assume_role_policy).Statement) == 1
      && jsondecode(aws_iam_role.karpenter_node.assume_role_policy).Statement[0].Principal == { Service = "ec2.amazonaws.com" }
      && jsondecode(aws_iam_role.karpenter_node.assume_role_policy).Statement[0].Action == "sts:AssumeRole"
    )
    error_message = "The node role must be assumable by EC2 (ec2.amazonaws.com, sts:AssumeRole) and nothing else."
  }

  assert {
    condition = toset([for a in aws_iam_role_policy_attachment.karpenter_node : a.policy_arn]) == toset([
      "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
      "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
      "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    ])
    error_message = "The node role must have exactly the worker node, ECR pull-only and CNI policies (no SSM: see karpenter.tf)."
  }

  assert {
    condition     = aws_eks_access_entry.karpenter_node.type == "EC2_LINUX"
    error_message = "Karpenter's nodes need an access entry of type EC2_LINUX to join the cluster."
  }

  assert {
    condition = (
      aws_eks_pod_identity_association.workload["karpenter"].namespace == "kube-system"
      && aws_eks_pod_identity_association.workload["karpenter"].service_account == "karpenter"
    )
    error_message = "The controller's Pod Identity association must be for kube-system/karpenter."
  }

  assert {
    condition = (
      aws_sqs_queue.karpenter.name == "convoy-karpenter"
      && aws_sqs_queue.karpenter.message_retention_seconds == 300
      && aws_sqs_queue.karpenter.sqs_managed_sse_enabled == true
    )
    error_message = "The interruption queue must be convoy-karpenter, keep messages 300 s, and be encrypted (SQS-managed SSE)."
  }

  assert {
    condition = { for key, rule in aws_cloudwatch_event_rule.karpenter : key => {
      source        = jsondecode(rule.event_pattern).source
      "detail-type" = jsondecode(rule.event_pattern)["detail-type"]
      } } == {
      "spot-interruption" = { source = ["aws.ec2"], "detail-type" = ["EC2 Spot Instance Interruption Warning"] }
      "rebalance"         = { source = ["aws.ec2"], "detail-type" = ["EC2 Instance Rebalance Recommendation"] }
      "state-change"      = { source = ["aws.ec2"], "detail-type" = ["EC2 Instance State-change Notification"] }
      "scheduled-change"  = { source = ["aws.health"], "detail-type" = ["AWS Health Event"] }
    }
    error_message = "There must be exactly four EventBridge rules: Spot interruption, rebalance, state change (aws.ec2) and AWS Health events (aws.health), each matching its source and detail-type."
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.karpenter["scheduled-change"].event_pattern).detail == {
      service           = ["EC2"]
      eventTypeCategory = ["scheduledChange"]
    }
    error_message = "The AWS Health rule must match EC2's scheduled changes (the only Health events Karpenter acts on)."
  }

  assert {
    condition     = output.karpenter_node_role == "convoy-karpenter-node" && output.karpenter_interruption_queue == "convoy-karpenter"
    error_message = "The outputs must give the node role's name and the interruption queue's name."
  }
}

run "apply" {
  # --- Trust and association ---

  assert {
    condition = (
      length(jsondecode(aws_iam_role.workload["karpenter"].assume_role_policy).Statement) == 1
      && jsondecode(aws_iam_role.workload["karpenter"].assume_role_policy).Statement[0].Principal == { Service = "pods.eks.amazonaws.com" }
      && try(jsondecode(aws_iam_role.workload["karpenter"].assume_role_policy).Statement[0].Condition.ArnEquals["aws:SourceArn"], null) == aws_eks_cluster.this.arn
    )
    error_message = "The controller's role must trust EKS Pod Identity (pods.eks.amazonaws.com) of this cluster only."
  }

  assert {
    condition     = aws_eks_pod_identity_association.workload["karpenter"].role_arn == aws_iam_role.workload["karpenter"].arn
    error_message = "kube-system/karpenter must be associated with the controller's role (not the node role)."
  }

  assert {
    condition     = aws_eks_access_entry.karpenter_node.principal_arn == "arn:aws:iam::123456789012:role/convoy-karpenter-node"
    error_message = "The EC2_LINUX access entry must be for the node role."
  }

  # --- The controller's policy ---

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.workload["karpenter"].policy).Statement : {
      Resource = s.Resource
      Service  = try(s.Condition.StringEquals["iam:PassedToService"], null)
      } if contains(flatten([s.Action]), "iam:PassRole")] == [{
      Resource = "arn:aws:iam::123456789012:role/convoy-karpenter-node"
      Service  = "ec2.amazonaws.com"
    }]
    error_message = "iam:PassRole must be granted once, on the node role's ARN only, and only to pass it to EC2."
  }

  assert {
    # Every statement that lets Karpenter create, tag or delete the EC2 resources it makes
    # (instances, fleets, volumes, interfaces, launch templates, Spot requests) requires them to
    # carry, or be created with, kubernetes.io/cluster/convoy = owned and a karpenter.sh/nodepool.
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.workload["karpenter"].policy).Statement : (
        (
          try(s.Condition.StringEquals["aws:RequestTag/kubernetes.io/cluster/convoy"], null) == "owned"
          && try(s.Condition.StringLike["aws:RequestTag/karpenter.sh/nodepool"], null) == "*"
          ) || (
          try(s.Condition.StringEquals["aws:ResourceTag/kubernetes.io/cluster/convoy"], null) == "owned"
          && try(s.Condition.StringLike["aws:ResourceTag/karpenter.sh/nodepool"], null) == "*"
        )
      )
      if anytrue([for a in flatten([s.Action]) : startswith(a, "ec2:") && !startswith(a, "ec2:Describe")]) && anytrue([
        for r in flatten([s.Resource]) : can(regex(":(fleet|instance|volume|network-interface|launch-template|spot-instances-request)/", r))
      ])
    ])
    error_message = "Every EC2 write on instances, fleets, volumes, interfaces, launch templates or Spot requests must be conditioned on the tags kubernetes.io/cluster/convoy = owned and karpenter.sh/nodepool."
  }

  assert {
    # The statements above exist: each write action is granted, in a tag-conditioned statement.
    condition = alltrue([
      for action in ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate", "ec2:CreateTags", "ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"] :
      anytrue([
        for s in jsondecode(aws_iam_role_policy.workload["karpenter"].policy).Statement :
        contains(flatten([s.Action]), action) && length(keys(try(s.Condition.StringEquals, {}))) > 0
      ])
    ])
    error_message = "RunInstances, CreateFleet, CreateLaunchTemplate, CreateTags, TerminateInstances and DeleteLaunchTemplate must each be granted under a tag condition."
  }

  assert {
    # The only untagged resources a launch may use: AMIs and snapshots, and this VPC's subnets
    # and security groups.
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.workload["karpenter"].policy).Statement : (
        toset(flatten([s.Action])) == toset(["ec2:RunInstances", "ec2:CreateFleet"])
        && alltrue([for r in flatten([s.Resource]) : can(regex("^arn:aws:ec2:eu-west-1:(|123456789012):(image|snapshot|subnet|security-group)/\\*$", r))])
        && (
          anytrue([for r in flatten([s.Resource]) : can(regex(":(subnet|security-group)/", r))])
          ? try(s.Condition.ArnEquals["ec2:Vpc"], null) == aws_vpc.this.arn
          : true
        )
      )
      if length(keys(try(s.Condition.StringEquals, {}))) == 0
      && anytrue([for a in flatten([s.Action]) : startswith(a, "ec2:") && !startswith(a, "ec2:Describe")])
    ])
    error_message = "EC2 writes without a tag condition must be RunInstances/CreateFleet on images, snapshots, or subnets and security groups of this VPC (ec2:Vpc) only."
  }

  assert {
    # Instance profiles: created, tagged, changed and deleted only with this cluster's tags.
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.workload["karpenter"].policy).Statement : (
        try(s.Condition.StringEquals["aws:RequestTag/kubernetes.io/cluster/convoy"], null) == "owned"
        || try(s.Condition.StringEquals["aws:ResourceTag/kubernetes.io/cluster/convoy"], null) == "owned"
      )
      if length(setintersection(flatten([s.Action]), ["iam:CreateInstanceProfile", "iam:TagInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"])) > 0
    ])
    error_message = "Instance profile writes must be conditioned on kubernetes.io/cluster/convoy = owned."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.workload["karpenter"].policy).Statement : s.Resource if contains(flatten([s.Action]), "eks:DescribeCluster")] == [aws_eks_cluster.this.arn]
    error_message = "eks:DescribeCluster must be allowed on this cluster only."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.workload["karpenter"].policy).Statement : s.Resource if anytrue([for a in flatten([s.Action]) : startswith(a, "sqs:")])] == [aws_sqs_queue.karpenter.arn]
    error_message = "SQS actions must be allowed on the interruption queue only."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.workload["karpenter"].policy).Statement : alltrue([
        for r in flatten([s.Resource]) : startswith(r, "arn:aws:ssm:eu-west-1::parameter/aws/service/")
      ]) if contains(flatten([s.Action]), "ssm:GetParameter")
    ]) && anytrue([for s in jsondecode(aws_iam_role_policy.workload["karpenter"].policy).Statement : contains(flatten([s.Action]), "ssm:GetParameter")])
    error_message = "ssm:GetParameter must be allowed, on AWS's public parameters (/aws/service/) of this region only."
  }

  assert {
    condition     = anytrue([for s in jsondecode(aws_iam_role_policy.workload["karpenter"].policy).Statement : contains(flatten([s.Action]), "pricing:GetProducts")])
    error_message = "Karpenter needs pricing:GetProducts."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.workload["karpenter"].policy).Statement : alltrue([
        for a in flatten([s.Action]) : a != "*" && !endswith(a, ":*")
      ])
    ])
    error_message = "The controller's policy must name its actions: no \"*\" or \"service:*\"."
  }

  assert {
    # Exceptions AWS cannot scope: Describe/Get/List calls only.
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.workload["karpenter"].policy).Statement : alltrue([
        for a in flatten([s.Action]) : can(regex("^[a-z0-9-]+:(Describe|Get|List)", a))
      ]) if contains(flatten([s.Resource]), "*")
    ])
    error_message = "Only read actions (Describe/Get/List) may be allowed on Resource \"*\"."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.workload["karpenter"].policy).Statement :
      try(s.Condition.StringEquals["aws:RequestedRegion"], null) == "eu-west-1"
      if anytrue([for a in flatten([s.Action]) : startswith(a, "ec2:Describe")])
    ])
    error_message = "EC2 Describe calls must be held to this region (aws:RequestedRegion)."
  }

  # --- The interruption queue ---

  assert {
    condition = [for s in jsondecode(aws_sqs_queue_policy.karpenter.policy).Statement : {
      Principal = toset(try(flatten([s.Principal.Service]), []))
      Action    = s.Action
      Resource  = s.Resource
      } if s.Effect == "Allow"] == [{
      Principal = toset(["events.amazonaws.com", "sqs.amazonaws.com"])
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.karpenter.arn
    }]
    error_message = "The queue must allow sqs:SendMessage to events.amazonaws.com and sqs.amazonaws.com only."
  }

  assert {
    condition = toset(one([
      for s in jsondecode(aws_sqs_queue_policy.karpenter.policy).Statement : try(flatten([s.Condition.ArnEquals["aws:SourceArn"]]), []) if s.Effect == "Allow"
    ])) == toset([for rule in aws_cloudwatch_event_rule.karpenter : rule.arn])
    error_message = "Sends to the queue must be limited to this configuration's EventBridge rules (aws:SourceArn)."
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_sqs_queue_policy.karpenter.policy).Statement :
      s.Effect == "Deny" && s.Principal == "*" && s.Action == "sqs:*" && s.Resource == aws_sqs_queue.karpenter.arn
      && try(s.Condition, null) == { Bool = { "aws:SecureTransport" = "false" } }
    ])
    error_message = "The queue must deny every request not made over TLS (aws:SecureTransport = false)."
  }

  assert {
    condition = length(aws_cloudwatch_event_target.karpenter) == 4 && alltrue([
      for key, target in aws_cloudwatch_event_target.karpenter :
      target.arn == aws_sqs_queue.karpenter.arn && target.rule == aws_cloudwatch_event_rule.karpenter[key].name
    ])
    error_message = "Each of the four EventBridge rules must have the interruption queue as its target."
  }
}
