# What a user chooses is checked before anything is planned: each variable refuses what would make
# a broken or unsafe system.

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


run "name" {
  command = plan
  variables {
    name = "Convoy_Prod"
  }
  expect_failures = [var.name]
}

run "kubernetes_version" {
  command = plan
  variables {
    kubernetes_version = "latest"
  }
  expect_failures = [var.kubernetes_version]
}

run "vpc_cidr_too_small" {
  command = plan
  variables {
    vpc_cidr = "10.0.0.0/24"
  }
  expect_failures = [var.vpc_cidr]
}

run "no_admin" {
  command = plan
  variables {
    cluster_admins = []
  }
  expect_failures = [var.cluster_admins]
}

run "admin_not_an_arn" {
  command = plan
  variables {
    cluster_admins = ["admin"]
  }
  expect_failures = [var.cluster_admins]
}

run "node_bounds_out_of_order" {
  command = plan
  variables {
    base_nodes = {
      min_size       = 3
      desired_size   = 2
      max_size       = 4
      instance_types = ["m7i.large"]
    }
  }
  expect_failures = [var.base_nodes]
}

run "repository_not_owner_slash_name" {
  command = plan
  variables {
    github_repository = "convoy"
  }
  expect_failures = [var.github_repository]
}
