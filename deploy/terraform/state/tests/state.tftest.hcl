# The state bucket, proved against a mock AWS provider: private, versioned, encrypted, TLS only,
# kept from destruction, and the backend configuration it prints.

# A plan: the bucket cannot be destroyed (prevent_destroy), so no apply either. The mock's values
# are used during the plan too.
mock_provider "aws" {
  override_during = plan

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::convoy-terraform-state-123456789012" }
  }
}

run "state_bucket" {
  command = plan

  assert {
    condition     = aws_s3_bucket.state.bucket == "convoy-terraform-state-123456789012"
    error_message = "The state bucket is named <name>-terraform-state-<account>."
  }
  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "The state bucket keeps old versions of the state."
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256"
    error_message = "The state bucket is encrypted."
  }
  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.state.block_public_acls,
      aws_s3_bucket_public_access_block.state.block_public_policy,
      aws_s3_bucket_public_access_block.state.ignore_public_acls,
      aws_s3_bucket_public_access_block.state.restrict_public_buckets,
    ])
    error_message = "The state bucket blocks every kind of public access."
  }
  assert {
    condition = anytrue([
      for statement in jsondecode(aws_s3_bucket_policy.state.policy).Statement :
      statement.Effect == "Deny" && statement.Principal == "*" && statement.Condition.Bool["aws:SecureTransport"] == "false"
    ])
    error_message = "The state bucket refuses requests without TLS."
  }
  assert {
    condition     = strcontains(output.backend_config, "use_lockfile = true") && strcontains(output.backend_config, "bucket       = \"convoy-terraform-state-123456789012\"")
    error_message = "The printed backend configuration locks the state in this bucket."
  }
}
