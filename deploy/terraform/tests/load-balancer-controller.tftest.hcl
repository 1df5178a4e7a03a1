# load-balancer-controller.tf: the AWS Load Balancer Controller's role trusts Pod Identity for its
# ServiceAccount only, and its policy lets it change only the load balancers, target groups and
# security groups tagged elbv2.k8s.aws/cluster = this cluster, in this account, region and VPC.

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
    condition     = aws_iam_role.workload["aws-load-balancer-controller"].name == "convoy-aws-load-balancer-controller"
    error_message = "The controller's role must be named convoy-aws-load-balancer-controller."
  }

  assert {
    condition = (
      aws_eks_pod_identity_association.workload["aws-load-balancer-controller"].namespace == "kube-system"
      && aws_eks_pod_identity_association.workload["aws-load-balancer-controller"].service_account == "aws-load-balancer-controller"
    )
    error_message = "The controller's Pod Identity association must be for kube-system/aws-load-balancer-controller."
  }
}

run "apply" {
  assert {
    condition = (
      length(jsondecode(aws_iam_role.workload["aws-load-balancer-controller"].assume_role_policy).Statement) == 1
      && jsondecode(aws_iam_role.workload["aws-load-balancer-controller"].assume_role_policy).Statement[0].Principal == { Service = "pods.eks.amazonaws.com" }
      && try(jsondecode(aws_iam_role.workload["aws-load-balancer-controller"].assume_role_policy).Statement[0].Condition.ArnEquals["aws:SourceArn"], null) == aws_eks_cluster.this.arn
    )
    error_message = "The controller's role must trust EKS Pod Identity (pods.eks.amazonaws.com) of this cluster only."
  }

  assert {
    condition     = aws_eks_pod_identity_association.workload["aws-load-balancer-controller"].role_arn == "arn:aws:iam::123456789012:role/convoy-aws-load-balancer-controller"
    error_message = "kube-system/aws-load-balancer-controller must be associated with the controller's role."
  }

  assert {
    # The controller's mutating ELB actions on load balancers and target groups (creating,
    # changing, pointing at pods, deleting, tagging): every statement that grants one on a load
    # balancer or target group asks for the tag elbv2.k8s.aws/cluster = convoy, on the resource or
    # in the create request. The one exception: listener and rule actions (CreateListener names
    # its load balancer), never on target groups.
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.workload["aws-load-balancer-controller"].policy).Statement : (
        try(s.Condition.StringEquals["aws:ResourceTag/elbv2.k8s.aws/cluster"], null) == "convoy"
        || try(s.Condition.StringEquals["aws:RequestTag/elbv2.k8s.aws/cluster"], null) == "convoy"
        || (
          length(setsubtract(flatten([s.Action]), [
            for a in ["CreateListener", "DeleteListener", "ModifyListener", "AddListenerCertificates", "RemoveListenerCertificates", "CreateRule", "DeleteRule", "ModifyRule", "SetRulePriorities"] :
            "elasticloadbalancing:${a}"
          ])) == 0
          && !anytrue([for r in flatten([s.Resource]) : r == "*" || can(regex(":targetgroup/", r))])
        )
      )
      if anytrue([for a in flatten([s.Action]) : startswith(a, "elasticloadbalancing:") && !startswith(a, "elasticloadbalancing:Describe")])
      && anytrue([for r in flatten([s.Resource]) : r == "*" || can(regex(":(loadbalancer|targetgroup)/", r))])
    ])
    error_message = "Every mutating ELB action on load balancers or target groups must be conditioned on elbv2.k8s.aws/cluster = convoy (listener and rule actions excepted)."
  }

  assert {
    # ...and those actions are all granted (under the condition above).
    condition = alltrue([
      for action in [
        "CreateLoadBalancer", "CreateTargetGroup", "DeleteLoadBalancer", "DeleteTargetGroup",
        "ModifyLoadBalancerAttributes", "ModifyTargetGroup", "ModifyTargetGroupAttributes",
        "SetSecurityGroups", "SetSubnets", "SetIpAddressType", "SetWebAcl",
        "RegisterTargets", "DeregisterTargets", "AddTags", "RemoveTags", "ModifyListenerAttributes",
      ] :
      anytrue([
        for s in jsondecode(aws_iam_role_policy.workload["aws-load-balancer-controller"].policy).Statement :
        contains(flatten([s.Action]), "elasticloadbalancing:${action}")
        && try(s.Condition.StringEquals["aws:ResourceTag/elbv2.k8s.aws/cluster"], s.Condition.StringEquals["aws:RequestTag/elbv2.k8s.aws/cluster"], null) == "convoy"
      ])
    ])
    error_message = "Each of the controller's load balancer and target group actions must be granted, under the elbv2.k8s.aws/cluster = convoy condition."
  }

  assert {
    # Retagging its own resources may not touch the cluster tag itself.
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.workload["aws-load-balancer-controller"].policy).Statement :
      try(s.Condition.Null["aws:RequestTag/elbv2.k8s.aws/cluster"], null) == "true"
      if try(s.Condition.StringEquals["aws:ResourceTag/elbv2.k8s.aws/cluster"], null) != null
      && length(setintersection(flatten([s.Action]), ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags", "ec2:CreateTags", "ec2:DeleteTags"])) > 0
    ])
    error_message = "Tagging the controller's own resources must not add or remove the elbv2.k8s.aws/cluster tag (Null RequestTag = true)."
  }

  assert {
    # The documented exception: listeners and rules, scoped by ARN to this account and region,
    # hold no target group, and tagging without a tag condition reaches listeners and rules only.
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.workload["aws-load-balancer-controller"].policy).Statement : alltrue([
        for r in flatten([s.Resource]) : can(regex("^arn:aws:elasticloadbalancing:eu-west-1:123456789012:(loadbalancer|listener|listener-rule)/(app|net)/", r))
        && (length(setintersection(flatten([s.Action]), ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"])) == 0 || !startswith(split(":", r)[5], "loadbalancer/"))
      ])
      if anytrue([for a in flatten([s.Action]) : startswith(a, "elasticloadbalancing:") && !startswith(a, "elasticloadbalancing:Describe")])
      && length(try(s.Condition, {})) == 0
    ])
    error_message = "ELB actions without a tag condition must be on this account's and region's listeners and rules (and load balancers for CreateListener) only, and never tag a load balancer or target group."
  }

  assert {
    # Security groups: created in this VPC with the tag, tagged at creation, retagged, changed and
    # deleted only when the controller's; the cluster security group's ingress rules changed, no
    # other group's.
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.workload["aws-load-balancer-controller"].policy).Statement : (
        try(s.Condition.StringEquals["aws:ResourceTag/elbv2.k8s.aws/cluster"], null) == "convoy"
        || try(s.Condition.StringEquals["aws:RequestTag/elbv2.k8s.aws/cluster"], null) == "convoy"
        || (
          toset(flatten([s.Action])) == toset(["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"])
          && try(s.Condition.ArnEquals["ec2:Vpc"], null) == aws_vpc.this.arn
          && try(s.Condition.StringEquals["aws:ResourceTag/kubernetes.io/cluster/convoy"], null) == "owned"
        )
        || (flatten([s.Action]) == ["ec2:CreateSecurityGroup"] && flatten([s.Resource]) == [aws_vpc.this.arn])
      )
      if anytrue([for a in flatten([s.Action]) : startswith(a, "ec2:") && !startswith(a, "ec2:Describe") && !startswith(a, "ec2:Get")])
    ])
    error_message = "EC2 security group writes must be conditioned on elbv2.k8s.aws/cluster = convoy, or be ingress rule changes of the cluster security group (tagged kubernetes.io/cluster/convoy = owned) in this VPC, or CreateSecurityGroup on this VPC."
  }

  assert {
    condition = alltrue([
      for action in ["ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup", "ec2:CreateTags"] :
      anytrue([
        for s in jsondecode(aws_iam_role_policy.workload["aws-load-balancer-controller"].policy).Statement :
        contains(flatten([s.Action]), action)
        && try(s.Condition.StringEquals["aws:ResourceTag/elbv2.k8s.aws/cluster"], s.Condition.StringEquals["aws:RequestTag/elbv2.k8s.aws/cluster"], null) == "convoy"
      ])
    ])
    error_message = "CreateSecurityGroup, DeleteSecurityGroup and CreateTags must be granted under the elbv2.k8s.aws/cluster = convoy condition."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.workload["aws-load-balancer-controller"].policy).Statement : alltrue([
        for a in flatten([s.Action]) : a != "*" && !endswith(a, ":*")
      ])
    ])
    error_message = "The controller's policy must name its actions: no \"*\" or \"service:*\"."
  }

  assert {
    # Exceptions AWS cannot scope: Describe/Get/List calls only.
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.workload["aws-load-balancer-controller"].policy).Statement : alltrue([
        for a in flatten([s.Action]) : can(regex("^[a-z0-9-]+:(Describe|Get|List)", a))
      ]) if contains(flatten([s.Resource]), "*")
    ])
    error_message = "Only read actions (Describe/Get/List) may be allowed on Resource \"*\"."
  }

  assert {
    # Everything else is in this account (and, but for IAM and Shield, this region).
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.workload["aws-load-balancer-controller"].policy).Statement : alltrue([
        for r in flatten([s.Resource]) : can(regex("^arn:aws:([a-z0-9-]+:eu-west-1|iam:|shield:):123456789012:", r))
      ]) if !contains(flatten([s.Resource]), "*")
    ])
    error_message = "Every resource the controller may change must be in this account and region."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.workload["aws-load-balancer-controller"].policy).Statement :
      try(s.Condition.StringEquals["iam:AWSServiceName"], null) if contains(flatten([s.Action]), "iam:CreateServiceLinkedRole")
    ]) == "elasticloadbalancing.amazonaws.com"
    error_message = "iam:CreateServiceLinkedRole must be limited to ELB's service-linked role."
  }
}
