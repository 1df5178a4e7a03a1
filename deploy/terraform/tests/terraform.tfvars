# The variables every test starts from (terraform test reads this file for each suite); a run sets
# its own where it tests another value. Passwords are not generated: the mock provider cannot
# produce ephemeral values (secrets.tf).
api_public_cidrs   = ["203.0.113.10/32"]
cluster_admins     = ["arn:aws:iam::123456789012:role/Admin"]
github_repository  = "example/convoy"
generate_passwords = false
