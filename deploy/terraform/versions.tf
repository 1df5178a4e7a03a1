# Terraform and the one provider this configuration uses, pinned to the version its tests run with.
# State lives in S3 (locked with a lock file next to it); the bucket, key and region come from a
# partial backend configuration at init (backend.hcl.example; the bucket itself: state/).
terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }

  backend "s3" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = var.name
      ManagedBy = "terraform"
    }
  }
}

# The same account and region, for the passwords Secrets Manager generates (secrets.tf), through a
# configuration of its own: the tests' mock provider cannot produce ephemeral values, and refuses a
# configuration in which any resource of its provider has one, so the tests keep this one real (and
# unused: they turn generation off).
provider "aws" {
  alias  = "passwords"
  region = var.region
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  name       = var.name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = var.region
}
