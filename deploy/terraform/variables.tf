# What a user chooses (terraform.tfvars.example). Everything else follows from these.

variable "name" {
  description = "Name of the system: the cluster, and the prefix of every resource (ECR convoy/<service>, secrets convoy/<name>, the bucket convoy-media-<account>)."
  type        = string
  default     = "convoy"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name: lower-case letters, digits and dashes, 2 to 21 characters, starting with a letter."
  }
}

variable "region" {
  description = "AWS region of everything (the aws overlay's placeholder is eu-west-1)."
  type        = string
  default     = "eu-west-1"
}

variable "kubernetes_version" {
  description = "Kubernetes version of the control plane and the managed node group (an EKS version in standard support)."
  type        = string
  default     = "1.34"

  validation {
    condition     = can(regex("^1\\.[0-9]+$", var.kubernetes_version))
    error_message = "kubernetes_version: major.minor, such as 1.34."
  }
}

variable "vpc_cidr" {
  description = "The VPC's address range. The aws overlay trusts it as the load balancer's (TRUST_PROXY, gateway-from-load-balancer): change both together."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && tonumber(split("/", var.vpc_cidr)[1]) <= 20
    error_message = "vpc_cidr: an IPv4 range of /20 or larger (each zone gets a sixteenth of it, public, and a quarter, private)."
  }
}

variable "nat_gateway_per_zone" {
  description = "One NAT gateway per availability zone (a zone's outage leaves the others their way out) instead of one for all (cheaper)."
  type        = bool
  default     = false
}

variable "ecr_endpoints" {
  description = "Interface endpoints for the ECR API and registry, so that no part of an image pull crosses the NAT gateway. Off by default: the layers (the bulk) already come through the free S3 gateway endpoint, and the two endpoints cost about $48 a month over three zones."
  type        = bool
  default     = false
}

variable "api_public_cidrs" {
  description = "Addresses allowed to reach the Kubernetes API from the internet (yours, the CI runner's); empty for a private endpoint only. Authentication is still required."
  type        = list(string)

  validation {
    condition     = alltrue([for cidr in var.api_public_cidrs : can(cidrnetmask(cidr)) && cidr != "0.0.0.0/0"])
    error_message = "api_public_cidrs: IPv4 ranges, and not 0.0.0.0/0 (list the addresses that administer the cluster)."
  }
}

variable "cluster_admins" {
  description = "ARNs of the IAM roles or users given cluster-admin through an access entry (at least the one applying this)."
  type        = list(string)

  validation {
    condition     = length(var.cluster_admins) > 0 && alltrue([for arn in var.cluster_admins : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/", arn))])
    error_message = "cluster_admins: one or more IAM role or user ARNs."
  }
}

variable "base_nodes" {
  description = "Bounds of the managed node group that carries the system's base load. Terraform sets desired_size at creation only: afterwards, set it with aws eks update-nodegroup-config (Karpenter adds nodes beside the group, it does not resize it)."
  type = object({
    min_size       = number
    desired_size   = number
    max_size       = number
    instance_types = list(string)
  })
  default = {
    min_size       = 2
    desired_size   = 3
    max_size       = 4
    instance_types = ["m7i.large", "m6i.large"]
  }

  validation {
    condition     = var.base_nodes.min_size >= 1 && var.base_nodes.min_size <= var.base_nodes.desired_size && var.base_nodes.desired_size <= var.base_nodes.max_size
    error_message = "base_nodes: 1 <= min_size <= desired_size <= max_size."
  }
}

variable "karpenter_cpu_limit" {
  description = "Most vCPUs Karpenter may start in all (its NodePool's limit), so a runaway scale-up has a ceiling."
  type        = number
  default     = 32
}

variable "github_repository" {
  description = "The GitHub repository (owner/name) whose workflows may push images and deploy: the CI roles trust its tokens only."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository: owner/name."
  }
}

variable "github_oidc_provider_arn" {
  description = "ARN of GitHub's OIDC provider (token.actions.githubusercontent.com) if the account has it already: an account holds one per URL. Null: this configuration makes it."
  type        = string
  default     = null
}

variable "github_environment" {
  description = "The GitHub environment of the deploy job (.github/workflows/deploy.yml): only a job in it may assume the deploy role."
  type        = string
  default     = "production"
}

variable "log_retention_days" {
  description = "Days the control plane's logs are kept in CloudWatch."
  type        = number
  default     = 30
}

variable "media_noncurrent_days" {
  description = "Days a deleted or replaced media object (a deleted job's video or MP3) stays recoverable before S3 expires it."
  type        = number
  default     = 30
}

variable "secret_recovery_days" {
  description = "Days a deleted Secrets Manager entry can be restored (7 to 30). Its name stays taken meanwhile: a new apply after a destroy fails until then, or until it is deleted for good (docs/aws.md)."
  type        = number
  default     = 7
}

variable "force_destroy" {
  description = "Let terraform destroy delete the ECR repositories with their images and the media bucket with its objects. Off, destroy stops at them: turn it on (and apply) only to tear everything down."
  type        = bool
  default     = false
}

variable "secret_version" {
  description = "Generation of the generated passwords: raising it writes new ones (the databases' passwords must then be changed to match; docs/aws.md). Set it in terraform.tfvars, never with -var: an apply without it would go back, and write new ones again."
  type        = number
  default     = 1
}

variable "generate_passwords" {
  description = "Have Secrets Manager generate the passwords. Off, the entries are made empty and their values are yours to put (aws secretsmanager put-secret-value), e.g. to keep the passwords of existing databases."
  type        = bool
  default     = true
}
