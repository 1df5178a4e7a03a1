# What Terraform must know of Convoy itself: its services (an image and an ECR repository each) and
# its namespaces (one per service, and the broker's). test/deploy/terraform.test.ts checks these
# against deploy/k8s and the workflows.
locals {
  services = toset([
    "auth",
    "converter",
    "fleet-events",
    "gateway",
    "media",
    "notification",
    "position-simulator",
    "position-tracker",
    "web",
  ])
  namespaces = setunion(local.services, ["queue"])
}
