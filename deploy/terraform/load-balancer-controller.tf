# The AWS Load Balancer Controller: in the cluster, it turns Ingresses, Gateways (Gateway API, for
# ALBs and NLBs) and Services of type LoadBalancer into AWS load balancers, and keeps their target
# groups pointed at the pods. Its Helm chart is installed later; here is its AWS role, for its pod
# (kube-system/aws-load-balancer-controller) through Pod Identity.
#
# The policy follows the controller's own (docs/install/iam_policy.json in
# kubernetes-sigs/aws-load-balancer-controller), the same actions for Ingress and Gateway API,
# narrowed to this account, region and VPC. The controller marks everything it creates with the tag
# elbv2.k8s.aws/cluster = <its clusterName>; where the reference only asks for that tag to be
# present, this policy asks for it to name this cluster, so the controller changes only what it
# created for this cluster. Its Helm value clusterName must therefore be the cluster's name.

locals {

  lbc_cluster_tag = "elbv2.k8s.aws/cluster"

  # Tagged as this cluster's: the resource as it is, or as the request would create it. And the
  # request does not touch that tag (it can neither add nor remove the mark).
  lbc_owned     = { "aws:ResourceTag/${local.lbc_cluster_tag}" = local.name }
  lbc_created   = { "aws:RequestTag/${local.lbc_cluster_tag}" = local.name }
  lbc_keeps_tag = { "aws:RequestTag/${local.lbc_cluster_tag}" = "true" }

  # ARNs, in this account and region.
  lbc_elb = "arn:${local.partition}:elasticloadbalancing:${local.region}:${local.account_id}"
  lbc_ec2 = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"

  lbc_load_balancers = ["${local.lbc_elb}:loadbalancer/app/*/*", "${local.lbc_elb}:loadbalancer/net/*/*"]
  lbc_target_groups  = ["${local.lbc_elb}:targetgroup/*/*"]
  lbc_listeners = [
    "${local.lbc_elb}:listener/app/*/*/*",
    "${local.lbc_elb}:listener/net/*/*/*",
    "${local.lbc_elb}:listener-rule/app/*/*/*",
    "${local.lbc_elb}:listener-rule/net/*/*/*",
  ]
  lbc_security_groups = "${local.lbc_ec2}:security-group/*"

  lbc_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      # --- Reading ---------------------------------------------------------------------------
      # Exceptions to scoping, as AWS allows no resource for these read-only calls: what the
      # controller must see to build a load balancer (the VPC, its subnets and security groups,
      # the instances and interfaces behind targets, existing load balancers), and the
      # certificates, WAF web ACLs, Shield protection and Cognito clients an Ingress or Gateway
      # may name.
      {
        Sid    = "Describe"
        Effect = "Allow"
        Action = [
          "ec2:DescribeAccountAttributes",
          "ec2:DescribeAddresses",
          "ec2:DescribeAvailabilityZones",
          "ec2:DescribeInternetGateways",
          "ec2:DescribeVpcs",
          "ec2:DescribeVpcPeeringConnections",
          "ec2:DescribeSubnets",
          "ec2:DescribeSecurityGroups",
          "ec2:DescribeInstances",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DescribeTags",
          "ec2:GetCoipPoolUsage",
          "ec2:DescribeCoipPools",
          "ec2:GetSecurityGroupsForVpc",
          "ec2:DescribeIpamPools",
          "ec2:DescribeRouteTables",
          "elasticloadbalancing:DescribeLoadBalancers",
          "elasticloadbalancing:DescribeLoadBalancerAttributes",
          "elasticloadbalancing:DescribeListeners",
          "elasticloadbalancing:DescribeListenerCertificates",
          "elasticloadbalancing:DescribeSSLPolicies",
          "elasticloadbalancing:DescribeRules",
          "elasticloadbalancing:DescribeTargetGroups",
          "elasticloadbalancing:DescribeTargetGroupAttributes",
          "elasticloadbalancing:DescribeTargetHealth",
          "elasticloadbalancing:DescribeTags",
          "elasticloadbalancing:DescribeTrustStores",
          "elasticloadbalancing:DescribeListenerAttributes",
          "elasticloadbalancing:DescribeCapacityReservation",
        ]
        Resource = "*"
      },
      {
        Sid    = "ReadAddOns"
        Effect = "Allow"
        Action = [
          "acm:ListCertificates",
          "acm:DescribeCertificate",
          "iam:ListServerCertificates",
          "iam:GetServerCertificate",
          "cognito-idp:DescribeUserPoolClient",
          "waf-regional:GetWebACL",
          "waf-regional:GetWebACLForResource",
          "wafv2:GetWebACL",
          "wafv2:GetWebACLForResource",
          "shield:GetSubscriptionState",
          "shield:DescribeProtection",
        ]
        Resource = "*"
      },

      # --- Its first load balancer ------------------------------------------------------------
      # ELB's service-linked role, made on the account's first load balancer if missing.
      {
        Sid       = "ElbServiceLinkedRole"
        Effect    = "Allow"
        Action    = "iam:CreateServiceLinkedRole"
        Resource  = "arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing"
        Condition = { StringEquals = { "iam:AWSServiceName" = "elasticloadbalancing.amazonaws.com" } }
      },

      # --- Security groups ---------------------------------------------------------------------
      # The controller makes a security group per load balancer, in this VPC, tagged as this
      # cluster's (the tags come with the create call).
      {
        Sid      = "CreateSecurityGroupInThisVpc"
        Effect   = "Allow"
        Action   = "ec2:CreateSecurityGroup"
        Resource = aws_vpc.this.arn
      },
      {
        Sid       = "CreateOwnSecurityGroups"
        Effect    = "Allow"
        Action    = "ec2:CreateSecurityGroup"
        Resource  = local.lbc_security_groups
        Condition = { StringEquals = local.lbc_created }
      },
      {
        Sid      = "TagSecurityGroupsOnCreate"
        Effect   = "Allow"
        Action   = "ec2:CreateTags"
        Resource = local.lbc_security_groups
        Condition = {
          StringEquals = merge(local.lbc_created, { "ec2:CreateAction" = "CreateSecurityGroup" })
        }
      },
      # Retag, change the rules of, and delete only its own security groups.
      {
        Sid      = "TagOwnSecurityGroups"
        Effect   = "Allow"
        Action   = ["ec2:CreateTags", "ec2:DeleteTags"]
        Resource = local.lbc_security_groups
        Condition = {
          StringEquals = local.lbc_owned
          Null         = local.lbc_keeps_tag
        }
      },
      {
        Sid       = "ManageOwnSecurityGroups"
        Effect    = "Allow"
        Action    = ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"]
        Resource  = local.lbc_security_groups
        Condition = { StringEquals = local.lbc_owned }
      },
      # It also opens the nodes' security group to its load balancers' traffic: the cluster security
      # group EKS made (every node's, the base group's and Karpenter's), which EKS tags as this
      # cluster's own. No other group of the VPC (the endpoints', say).
      {
        Sid      = "OpenTheClusterSecurityGroup"
        Effect   = "Allow"
        Action   = ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"]
        Resource = local.lbc_security_groups
        Condition = {
          ArnEquals    = { "ec2:Vpc" = aws_vpc.this.arn }
          StringEquals = { "aws:ResourceTag/kubernetes.io/cluster/${local.name}" = "owned" }
        }
      },

      # --- Load balancers and target groups -----------------------------------------------------
      # Created only with this cluster's tag in the request, which ELB writes with AddTags as part
      # of the create call.
      {
        Sid       = "CreateOwnLoadBalancers"
        Effect    = "Allow"
        Action    = ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"]
        Resource  = concat(local.lbc_load_balancers, local.lbc_target_groups)
        Condition = { StringEquals = local.lbc_created }
      },
      {
        Sid      = "TagLoadBalancersOnCreate"
        Effect   = "Allow"
        Action   = "elasticloadbalancing:AddTags"
        Resource = concat(local.lbc_load_balancers, local.lbc_target_groups)
        Condition = {
          StringEquals = merge(local.lbc_created, {
            "elasticloadbalancing:CreateAction" = ["CreateTargetGroup", "CreateLoadBalancer"]
          })
        }
      },
      # Retag, change, point at pods, and delete only its own.
      {
        Sid      = "TagOwnLoadBalancers"
        Effect   = "Allow"
        Action   = ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"]
        Resource = concat(local.lbc_load_balancers, local.lbc_target_groups)
        Condition = {
          StringEquals = local.lbc_owned
          Null         = local.lbc_keeps_tag
        }
      },
      {
        Sid    = "ManageOwnLoadBalancers"
        Effect = "Allow"
        Action = [
          "elasticloadbalancing:ModifyLoadBalancerAttributes",
          "elasticloadbalancing:SetIpAddressType",
          "elasticloadbalancing:SetSecurityGroups",
          "elasticloadbalancing:SetSubnets",
          "elasticloadbalancing:SetWebAcl",
          "elasticloadbalancing:ModifyCapacityReservation",
          "elasticloadbalancing:ModifyIpPools",
          "elasticloadbalancing:DeleteLoadBalancer",
          "elasticloadbalancing:ModifyTargetGroup",
          "elasticloadbalancing:ModifyTargetGroupAttributes",
          "elasticloadbalancing:RegisterTargets",
          "elasticloadbalancing:DeregisterTargets",
          "elasticloadbalancing:DeleteTargetGroup",
          "elasticloadbalancing:ModifyListenerAttributes",
        ]
        Resource  = concat(local.lbc_load_balancers, local.lbc_target_groups, local.lbc_listeners)
        Condition = { StringEquals = local.lbc_owned }
      },

      # --- Listeners and rules -------------------------------------------------------------------
      # Held to this account and region's listeners and rules, but by ARN only, as in the
      # reference: the controller tags them too, yet not always (rule tagging is a feature gate),
      # so a tag condition could leave an Ingress or Gateway it cannot update. They hang off its
      # own load balancers, which it alone may create here.
      {
        Sid    = "ManageListeners"
        Effect = "Allow"
        Action = [
          "elasticloadbalancing:CreateListener",
          "elasticloadbalancing:DeleteListener",
          "elasticloadbalancing:ModifyListener",
          "elasticloadbalancing:AddListenerCertificates",
          "elasticloadbalancing:RemoveListenerCertificates",
          "elasticloadbalancing:CreateRule",
          "elasticloadbalancing:DeleteRule",
          "elasticloadbalancing:ModifyRule",
          "elasticloadbalancing:SetRulePriorities",
        ]
        # The load balancers too: CreateListener acts on one.
        Resource = concat(local.lbc_load_balancers, local.lbc_listeners)
      },
      {
        Sid      = "TagListeners"
        Effect   = "Allow"
        Action   = ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"]
        Resource = local.lbc_listeners
      },

      # --- WAF and Shield on its ALBs ----------------------------------------------------------
      # Attach or detach a web ACL (WAF, or classic WAF) and Shield Advanced protection, as an
      # Ingress's annotations ask: this account's web ACLs, protections and ALBs.
      {
        Sid    = "WebAcls"
        Effect = "Allow"
        Action = [
          "wafv2:AssociateWebACL",
          "wafv2:DisassociateWebACL",
          "waf-regional:AssociateWebACL",
          "waf-regional:DisassociateWebACL",
        ]
        Resource = [
          "arn:${local.partition}:wafv2:${local.region}:${local.account_id}:regional/webacl/*/*",
          "arn:${local.partition}:waf-regional:${local.region}:${local.account_id}:webacl/*",
          "${local.lbc_elb}:loadbalancer/app/*/*",
        ]
      },
      {
        Sid      = "ShieldProtection"
        Effect   = "Allow"
        Action   = ["shield:CreateProtection", "shield:DeleteProtection"]
        Resource = "arn:${local.partition}:shield::${local.account_id}:protection/*"
      },
    ]
  })
}

# Its role, policy and Pod Identity association are the pod-identity.tf ones (pod_identities:
# aws-load-balancer-controller, for kube-system/aws-load-balancer-controller).
