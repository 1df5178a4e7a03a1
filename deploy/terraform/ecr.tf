# ECR: a repository per service, convoy/<service>, as the images workflow pushes them and the aws
# overlay names them. Tags are immutable (a release tag names one image for good: the deploy
# workflow checks the digests it deploys against the ones scanned), and every push is scanned.

resource "aws_ecr_repository" "service" {
  for_each = local.services

  name                 = "${local.name}/${each.key}"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_destroy

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "AES256"
  }
}

# Every commit on main pushes eight images (sha-<commit>): keep the newest 100 of those. Release
# images are never expired: the first rule matches them with a count no repository reaches, and an
# image a rule matches is not expired by a rule of lower priority.
resource "aws_ecr_lifecycle_policy" "service" {
  for_each = aws_ecr_repository.service

  repository = each.value.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Keep every release"
        selection = {
          tagStatus     = "tagged"
          tagPrefixList = ["release"]
          countType     = "imageCountMoreThan"
          countNumber   = 9999
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the newest 100 commit images"
        selection = {
          tagStatus     = "tagged"
          tagPrefixList = ["sha-"]
          countType     = "imageCountMoreThan"
          countNumber   = 100
        }
        action = { type = "expire" }
      },
    ]
  })
}
