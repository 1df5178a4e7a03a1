# The pipeline's access, against a mock AWS provider: GitHub's OIDC provider, the images and deploy
# roles trusting this repository's tokens only, what each may do, and the deploy role's access entry.

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


run "github_oidc" {
  command = plan

  assert {
    condition     = aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com" && aws_iam_openid_connect_provider.github[0].client_id_list == toset(["sts.amazonaws.com"])
    error_message = "GitHub's OIDC provider, for tokens whose audience is STS."
  }
}

run "roles_trust_this_repository_only" {
  assert {
    condition = alltrue([for role in aws_iam_role.ci :
      jsondecode(role.assume_role_policy).Statement[0].Action == "sts:AssumeRoleWithWebIdentity" &&
      jsondecode(role.assume_role_policy).Statement[0].Principal.Federated == aws_iam_openid_connect_provider.github[0].arn &&
      jsondecode(role.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    ])
    error_message = "Both roles trust GitHub's tokens for STS, through the OIDC provider."
  }
  assert {
    condition = jsondecode(aws_iam_role.ci["images"].assume_role_policy).Statement[0].Condition.StringLike["token.actions.githubusercontent.com:sub"] == [
      "repo:example/convoy:ref:refs/heads/main",
      "repo:example/convoy:ref:refs/tags/release*",
    ]
    error_message = "The images role trusts this repository's main branch and release tags, nothing else (no pull request, no fork)."
  }
  assert {
    condition     = jsondecode(aws_iam_role.ci["deploy"].assume_role_policy).Statement[0].Condition.StringLike["token.actions.githubusercontent.com:sub"] == ["repo:example/convoy:environment:production"]
    error_message = "The deploy role trusts jobs of this repository's production environment only (its reviewers approve each)."
  }
  assert {
    condition     = { for key, role in aws_iam_role.ci : key => role.name } == { images = "convoy-images", deploy = "convoy-deploy" }
    error_message = "The roles have the names docs/ci-cd.md gives the repository variables."
  }
}

run "images_pushes_to_convoys_repositories" {
  assert {
    condition     = one([for statement in jsondecode(aws_iam_role_policy.images.policy).Statement : statement if statement.Resource == "*"]).Action == "ecr:GetAuthorizationToken"
    error_message = "The only action on every resource is ECR's login, which has no resource of its own."
  }
  assert {
    condition     = toset(one([for statement in jsondecode(aws_iam_role_policy.images.policy).Statement : statement if statement.Sid == "Push"]).Resource) == toset([for repository in aws_ecr_repository.service : repository.arn])
    error_message = "The images role pushes to Convoy's repositories, named one by one."
  }
  assert {
    condition     = length([for action in one([for statement in jsondecode(aws_iam_role_policy.images.policy).Statement : statement if statement.Sid == "Push"]).Action : action if strcontains(action, "Delete") || strcontains(action, "*")]) == 0
    error_message = "The images role deletes nothing."
  }
}

run "deploy_reads_and_deploys" {
  assert {
    condition = { for statement in jsondecode(aws_iam_role_policy.deploy.policy).Statement : statement.Sid => statement.Action } == {
      Cluster = "eks:DescribeCluster"
      Digests = "ecr:DescribeImages"
    }
    error_message = "On AWS, the deploy role finds the cluster and reads the images' digests: nothing else."
  }
  assert {
    condition     = one([for statement in jsondecode(aws_iam_role_policy.deploy.policy).Statement : statement if statement.Sid == "Cluster"]).Resource == aws_eks_cluster.this.arn
    error_message = "The deploy role describes this cluster only."
  }
  assert {
    condition     = aws_eks_access_entry.deploy.principal_arn == aws_iam_role.ci["deploy"].arn && aws_eks_access_entry.deploy.kubernetes_groups == toset(["convoy-deployers"])
    error_message = "In the cluster, the deploy role is the group convoy-deployers (deployer-rbac.yaml gives it its rights)."
  }
  assert {
    condition     = !contains(keys(aws_eks_access_policy_association.admin), aws_iam_role.ci["deploy"].arn)
    error_message = "The deploy role has no EKS access policy: its rights are the RBAC of its group."
  }
}

run "another_repository" {
  command = plan

  variables {
    github_repository  = "someone-else/fork"
    github_environment = "prod-eu"
  }

  assert {
    condition     = jsondecode(aws_iam_role.ci["deploy"].assume_role_policy).Statement[0].Condition.StringLike["token.actions.githubusercontent.com:sub"] == ["repo:someone-else/fork:environment:prod-eu"]
    error_message = "The trust follows github_repository and github_environment."
  }
}

run "an_existing_github_provider" {
  variables {
    github_oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0
    error_message = "With the account's own GitHub provider named, none is made (an account holds one per URL)."
  }
  assert {
    condition     = alltrue([for role in aws_iam_role.ci : jsondecode(role.assume_role_policy).Statement[0].Principal.Federated == "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"])
    error_message = "The roles trust the provider named."
  }
}
