# The network, against a mock AWS provider: three zones, public and private subnets tagged for load
# balancers and Karpenter, NAT, the endpoints, and nothing open to the internet.

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


run "subnets" {
  assert {
    condition     = length(aws_subnet.public) == 3 && length(aws_subnet.private) == 3 && length(distinct(aws_subnet.private[*].availability_zone)) == 3
    error_message = "A public and a private subnet in each of three availability zones."
  }
  assert {
    condition     = aws_subnet.public[*].cidr_block == ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"] && aws_subnet.private[*].cidr_block == ["10.0.64.0/18", "10.0.128.0/18", "10.0.192.0/18"]
    error_message = "Small public subnets, large private ones (pods take VPC addresses), none overlapping."
  }
  assert {
    condition     = alltrue([for subnet in aws_subnet.public : subnet.tags["kubernetes.io/role/elb"] == "1"])
    error_message = "Public subnets are where the load balancer controller puts internet-facing load balancers."
  }
  assert {
    condition = alltrue([for subnet in aws_subnet.private :
      subnet.tags["kubernetes.io/role/internal-elb"] == "1" && subnet.tags["karpenter.sh/discovery"] == "convoy"
    ])
    error_message = "Private subnets are for internal load balancers and Karpenter's nodes."
  }
  assert {
    condition     = alltrue([for subnet in aws_subnet.public : subnet.map_public_ip_on_launch == false])
    error_message = "Nothing gets a public address by being in a public subnet."
  }
}

run "public_subnets_reach_the_internet" {
  assert {
    condition     = aws_route.public_internet.destination_cidr_block == "0.0.0.0/0" && aws_route.public_internet.gateway_id == aws_internet_gateway.this.id && aws_internet_gateway.this.vpc_id == aws_vpc.this.id
    error_message = "The public subnets' way out is the VPC's internet gateway."
  }
  assert {
    condition     = toset([for association in aws_route_table_association.public : association.subnet_id]) == toset(aws_subnet.public[*].id) && alltrue([for association in aws_route_table_association.public : association.route_table_id == aws_route_table.public.id])
    error_message = "Every public subnet uses the public route table."
  }
  assert {
    condition     = [for association in aws_route_table_association.private : association.route_table_id] == aws_route_table.private[*].id && [for association in aws_route_table_association.private : association.subnet_id] == aws_subnet.private[*].id
    error_message = "Each private subnet uses its own zone's route table."
  }
}

run "one_nat_gateway_by_default" {
  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(distinct(aws_route.private_nat[*].nat_gateway_id)) == 1
    error_message = "By default the private subnets share one NAT gateway."
  }
  assert {
    condition     = alltrue([for route in aws_route.private_nat : route.destination_cidr_block == "0.0.0.0/0" && route.nat_gateway_id == aws_nat_gateway.this[0].id])
    error_message = "Every private route table goes out through the NAT gateway."
  }
}

run "a_nat_gateway_per_zone" {
  variables {
    nat_gateway_per_zone = true
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 3 && length(distinct(aws_route.private_nat[*].nat_gateway_id)) == 3
    error_message = "With nat_gateway_per_zone, each zone goes out through its own NAT gateway."
  }
  assert {
    condition     = [for nat in aws_nat_gateway.this : nat.subnet_id] == aws_subnet.public[*].id
    error_message = "Each NAT gateway is in its zone's public subnet."
  }
}

run "endpoints" {
  variables {
    ecr_endpoints = true
  }

  assert {
    condition     = aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway" && aws_vpc_endpoint.s3.service_name == "com.amazonaws.eu-west-1.s3"
    error_message = "S3 (media's objects, ECR's image layers) through a free gateway endpoint."
  }
  assert {
    condition     = aws_vpc_endpoint.s3.route_table_ids == toset(aws_route_table.private[*].id)
    error_message = "The S3 endpoint is on every private route table."
  }
  assert {
    condition     = toset([for endpoint in aws_vpc_endpoint.ecr : endpoint.service_name]) == toset(["com.amazonaws.eu-west-1.ecr.api", "com.amazonaws.eu-west-1.ecr.dkr"])
    error_message = "The ECR API and registry through interface endpoints."
  }
  assert {
    condition     = alltrue([for endpoint in aws_vpc_endpoint.ecr : endpoint.private_dns_enabled && endpoint.subnet_ids == toset(aws_subnet.private[*].id)])
    error_message = "The ECR endpoints answer ECR's own names, in the private subnets."
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.endpoints_https[0].cidr_ipv4 == "10.0.0.0/16" && aws_vpc_security_group_ingress_rule.endpoints_https[0].from_port == 443
    error_message = "The endpoints take HTTPS from the VPC only."
  }
}

run "no_ecr_endpoints_by_default" {
  command = plan

  assert {
    condition     = length(aws_vpc_endpoint.ecr) == 0 && length(aws_security_group.endpoints) == 0
    error_message = "By default there are neither ECR endpoints nor their security group."
  }
}

# Nothing this configuration opens takes traffic from anywhere: the internet reaches only the load
# balancers, whose security groups the AWS Load Balancer Controller makes.
run "nothing_open_to_the_internet" {
  variables {
    ecr_endpoints = true
  }

  assert {
    condition     = alltrue([for rule in aws_vpc_security_group_ingress_rule.endpoints_https : rule.cidr_ipv4 != "0.0.0.0/0" && rule.cidr_ipv6 == null])
    error_message = "No security group rule admits the internet."
  }
  assert {
    condition     = !contains(tolist(aws_eks_cluster.this.vpc_config[0].public_access_cidrs), "0.0.0.0/0")
    error_message = "The Kubernetes API is not open to the internet."
  }
}

run "the_api_cannot_be_opened_to_everyone" {
  command = plan

  variables {
    api_public_cidrs = ["0.0.0.0/0"]
  }

  expect_failures = [var.api_public_cidrs]
}
