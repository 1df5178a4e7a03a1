# What the next steps need (docs/aws.md): kubeconfig, the add-ons' install script, the workflows'
# repository variables.

output "cluster_name" {
  description = "The EKS cluster: aws eks update-kubeconfig --name <this>."
  value       = aws_eks_cluster.this.name
}

output "region" {
  description = "Region of everything."
  value       = local.region
}

output "vpc_id" {
  description = "The VPC (the AWS Load Balancer Controller's vpcId)."
  value       = aws_vpc.this.id
}

output "ecr_registry" {
  description = "The registry of Convoy's images: <this>/convoy/<service>."
  value       = "${local.account_id}.dkr.ecr.${local.region}.amazonaws.com"
}

output "media_bucket" {
  description = "media's bucket (BLOB_STORE_URL s3://<this>/media)."
  value       = aws_s3_bucket.media.bucket
}

output "github_variables" {
  description = "The repository variables the workflows read (docs/ci-cd.md)."
  value = {
    AWS_REGION          = local.region
    AWS_IMAGES_ROLE_ARN = aws_iam_role.ci["images"].arn
    AWS_DEPLOY_ROLE_ARN = aws_iam_role.ci["deploy"].arn
    EKS_CLUSTER         = aws_eks_cluster.this.name
  }
}

output "karpenter_node_role" {
  description = "The role of Karpenter's nodes: its EC2NodeClass's spec.role."
  value       = aws_iam_role.karpenter_node.name
}

output "karpenter_interruption_queue" {
  description = "Karpenter's interruption queue: its Helm value settings.interruptionQueue."
  value       = aws_sqs_queue.karpenter.name
}

output "karpenter_cpu_limit" {
  description = "Most vCPUs Karpenter may start in all: its NodePool's limits.cpu (install.sh sets it)."
  value       = var.karpenter_cpu_limit
}
