# The cluster, its node group, the Fargate profile, the add-ons and who may use the API, against a
# mock AWS provider.

mock_provider "aws" {
  source = "./tests/mocks"
}

# The passwords' provider stays real (the mock cannot serve ephemeral values) and unused: the
# tests turn generation off.
provider "aws" {
  alias                       = "passwords"
  region                      = "eu-west-1"
  access_key                  = "mock"
  secret_key                  = "mock"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}


run "cluster" {
  command = plan

  assert {
    condition     = aws_eks_cluster.this.name == "convoy" && aws_eks_cluster.this.version == "1.34"
    error_message = "The cluster is named after var.name and runs var.kubernetes_version."
  }
  assert {
    condition     = aws_eks_cluster.this.access_config[0].authentication_mode == "API"
    error_message = "Access entries only: authentication mode API, no aws-auth ConfigMap."
  }
  assert {
    condition     = aws_eks_cluster.this.access_config[0].bootstrap_cluster_creator_admin_permissions == false
    error_message = "Nobody is an admin for having created the cluster: admins are listed (cluster_admins)."
  }
  assert {
    condition     = toset(aws_eks_cluster.this.enabled_cluster_log_types) == toset(["api", "audit", "authenticator", "controllerManager", "scheduler"])
    error_message = "Every control-plane log goes to CloudWatch."
  }
  assert {
    condition     = aws_cloudwatch_log_group.cluster.name == "/aws/eks/convoy/cluster" && aws_cloudwatch_log_group.cluster.retention_in_days == 30
    error_message = "The control plane's log group is the one EKS writes to, with a retention."
  }
  assert {
    condition     = aws_eks_cluster.this.encryption_config[0].resources == toset(["secrets"]) && aws_kms_key.secrets.enable_key_rotation
    error_message = "Kubernetes Secrets are encrypted with a KMS key that rotates."
  }
  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_private_access && aws_eks_cluster.this.vpc_config[0].public_access_cidrs == toset(["203.0.113.10/32"])
    error_message = "The API is reachable from the VPC, and from the internet only from api_public_cidrs."
  }
  assert {
    condition     = aws_eks_cluster.this.upgrade_policy[0].support_type == "STANDARD"
    error_message = "No extended support (and its price): the cluster is upgraded instead."
  }
  assert {
    condition     = contains(jsondecode(aws_iam_role.cluster.assume_role_policy).Statement[0].Action, "sts:AssumeRole") && jsondecode(aws_iam_role.cluster.assume_role_policy).Statement[0].Principal.Service == "eks.amazonaws.com"
    error_message = "The cluster role is EKS's."
  }
}

run "private_api" {
  command = plan

  variables {
    api_public_cidrs = []
  }

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_public_access == false
    error_message = "No public address at all when api_public_cidrs is empty."
  }
}

run "base_nodes" {
  assert {
    condition = (
      aws_eks_node_group.base.capacity_type == "ON_DEMAND" &&
      aws_eks_node_group.base.scaling_config[0].min_size == 2 &&
      aws_eks_node_group.base.scaling_config[0].desired_size == 3 &&
      aws_eks_node_group.base.scaling_config[0].max_size == 4
    )
    error_message = "The base node group is on-demand, 2 to 4 nodes, 3 at first."
  }
  assert {
    condition     = aws_eks_node_group.base.subnet_ids == toset(aws_subnet.private[*].id)
    error_message = "Nodes are in the private subnets."
  }
  assert {
    condition = (
      aws_launch_template.node.metadata_options[0].http_tokens == "required" &&
      aws_launch_template.node.metadata_options[0].http_put_response_hop_limit == 1
    )
    error_message = "IMDSv2 only, one hop: pods cannot reach the node role's credentials."
  }
  assert {
    condition     = aws_launch_template.node.block_device_mappings[0].ebs[0].encrypted == "true"
    error_message = "Nodes' disks are encrypted."
  }
  assert {
    condition     = toset([for attachment in aws_iam_role_policy_attachment.node : element(split("/", attachment.policy_arn), 1)]) == toset(["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonEKS_CNI_Policy"])
    error_message = "The node role may join the cluster, pull images and give pods addresses: nothing else."
  }
  assert {
    condition     = aws_eks_node_group.base.launch_template[0].id == aws_launch_template.node.id && aws_eks_node_group.base.launch_template[0].version == tostring(aws_launch_template.node.latest_version)
    error_message = "The node group's instances come from the launch template (IMDSv2, encrypted disk), at its latest version."
  }
  assert {
    condition     = startswith(aws_eks_node_group.base.ami_type, "AL2023_")
    error_message = "The base nodes run EKS's Amazon Linux 2023 AMI."
  }
  assert {
    condition     = aws_eks_cluster.this.encryption_config[0].provider[0].key_arn == aws_kms_key.secrets.arn
    error_message = "Secrets are encrypted with this configuration's key."
  }
  assert {
    condition     = aws_ec2_tag.cluster_security_group_discovery.resource_id == aws_eks_cluster.this.vpc_config[0].cluster_security_group_id && aws_ec2_tag.cluster_security_group_discovery.key == "karpenter.sh/discovery" && aws_ec2_tag.cluster_security_group_discovery.value == "convoy"
    error_message = "The cluster security group carries Karpenter's discovery tag (its nodes find their security group by it)."
  }
  assert {
    condition     = aws_eks_node_group.base.labels["convoy.dev/capacity"] == "base"
    error_message = "The base nodes are labelled, for the controllers that must run on them."
  }
}

# The desired size is set at creation only: a new apply does not put back one set by hand.
run "desired_size_is_not_fought" {
  variables {
    base_nodes = {
      min_size       = 2
      desired_size   = 3
      max_size       = 4
      instance_types = ["m7i.large"]
    }
  }
}

run "desired_size_stays" {
  variables {
    base_nodes = {
      min_size       = 2
      desired_size   = 4
      max_size       = 5
      instance_types = ["m7i.large"]
    }
  }

  assert {
    condition     = aws_eks_node_group.base.scaling_config[0].desired_size == 3 && aws_eks_node_group.base.scaling_config[0].max_size == 5
    error_message = "Terraform changes the bounds but leaves the desired size as it is."
  }
}

run "fargate" {
  assert {
    condition     = length(aws_eks_fargate_profile.position_simulator.selector) == 1 && one(aws_eks_fargate_profile.position_simulator.selector).namespace == "position-simulator" && one(aws_eks_fargate_profile.position_simulator.selector).labels == tomap({ app = "position-simulator" })
    error_message = "Only the position simulator's pods go to Fargate."
  }
  assert {
    condition     = aws_eks_fargate_profile.position_simulator.subnet_ids == toset(aws_subnet.private[*].id)
    error_message = "Fargate pods are in the private subnets."
  }
  assert {
    condition = (
      jsondecode(aws_iam_role.fargate.assume_role_policy).Statement[0].Principal.Service == "eks-fargate-pods.amazonaws.com" &&
      jsondecode(aws_iam_role.fargate.assume_role_policy).Statement[0].Condition.ArnLike["aws:SourceArn"] == "arn:aws:eks:eu-west-1:123456789012:fargateprofile/convoy/*"
    )
    error_message = "The pod execution role is Fargate's, for this cluster's profiles only."
  }
}

run "addons" {
  command = plan

  assert {
    condition     = toset(keys(aws_eks_addon.before_nodes)) == toset(["vpc-cni", "kube-proxy", "eks-pod-identity-agent"])
    error_message = "Networking and the Pod Identity Agent are the add-ons installed before any node."
  }
  assert {
    condition     = toset(keys(aws_eks_addon.after_nodes)) == toset(["coredns", "metrics-server"])
    error_message = "CoreDNS and metrics-server (the HPAs' metrics) come once there are nodes."
  }
  assert {
    condition     = jsondecode(aws_eks_addon.before_nodes["vpc-cni"].configuration_values).enableNetworkPolicy == "true"
    error_message = "The VPC CNI enforces NetworkPolicies (otherwise Convoy's policies do nothing on EKS)."
  }
  assert {
    condition     = aws_eks_addon.ebs_csi_driver.addon_name == "aws-ebs-csi-driver" && one(aws_eks_addon.ebs_csi_driver.pod_identity_association).service_account == "ebs-csi-controller-sa"
    error_message = "The EBS CSI driver's controller gets its role through a Pod Identity association the add-on makes."
  }
  assert {
    condition     = jsondecode(aws_iam_role.ebs_csi_driver.assume_role_policy).Statement[0].Principal.Service == "pods.eks.amazonaws.com"
    error_message = "The EBS CSI driver's role trusts Pod Identity."
  }
  assert {
    condition     = jsondecode(aws_iam_role.ebs_csi_driver.assume_role_policy).Statement[0].Condition.ArnEquals["aws:SourceArn"] == aws_eks_cluster.this.arn
    error_message = "Only Pod Identity acting for this cluster may assume the EBS CSI driver's role."
  }
  assert {
    condition     = endswith(aws_iam_role_policy_attachment.ebs_csi_driver.policy_arn, ":iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy")
    error_message = "The EBS CSI driver has AWS's policy for it (volumes it tagged as its own)."
  }
}

run "ebs_csi_role_is_the_one_associated" {
  assert {
    condition     = one(aws_eks_addon.ebs_csi_driver.pod_identity_association).role_arn == aws_iam_role.ebs_csi_driver.arn
    error_message = "The association names the driver's own role."
  }
}

run "admins" {
  variables {
    cluster_admins = ["arn:aws:iam::123456789012:role/Admin", "arn:aws:iam::123456789012:user/ops"]
  }

  assert {
    condition     = toset(keys(aws_eks_access_entry.admin)) == toset(["arn:aws:iam::123456789012:role/Admin", "arn:aws:iam::123456789012:user/ops"])
    error_message = "Each listed admin has an access entry."
  }
  assert {
    condition     = alltrue([for entry in aws_eks_access_entry.admin : entry.type == "STANDARD" && length(entry.kubernetes_groups) == 0])
    error_message = "Admins' entries are standard ones, their rights the access policy's (no group)."
  }
  assert {
    condition = alltrue([for association in aws_eks_access_policy_association.admin :
      endswith(association.policy_arn, ":cluster-access-policy/AmazonEKSClusterAdminPolicy") && association.access_scope[0].type == "cluster"
    ])
    error_message = "Admins are cluster-admin across the cluster."
  }
}
