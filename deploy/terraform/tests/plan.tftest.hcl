# A first smoke test of the mock setup.
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

variables {
  api_public_cidrs   = ["203.0.113.10/32"]
  cluster_admins     = ["arn:aws:iam::123456789012:role/admin"]
  github_repository  = "example/convoy"
  generate_passwords = false
}

run "plan" {
  command = plan

  assert {
    condition     = aws_eks_cluster.this.access_config[0].authentication_mode == "API"
    error_message = "API"
  }
}

run "apply" {
  assert {
    condition     = jsondecode(aws_iam_role.workload["media"].assume_role_policy).Statement[0].Principal.Service == "pods.eks.amazonaws.com"
    error_message = "trust"
  }
  assert {
    condition     = aws_eks_cluster.this.arn == "arn:aws:eks:eu-west-1:123456789012:cluster/convoy"
    error_message = "arn"
  }
}

