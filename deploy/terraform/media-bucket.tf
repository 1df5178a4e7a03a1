# media's blob store: uploaded videos and their MP3s, under media/ (the aws overlay's
# BLOB_STORE_URL, s3://convoy-media-<account>/media). Private (no public access whatever a policy or
# ACL says), encrypted, reachable over TLS only. Versioned: a deleted job's objects stay
# recoverable for media_noncurrent_days, then expire.

resource "aws_s3_bucket" "media" {
  bucket        = "${local.name}-media-${local.account_id}"
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_public_access_block" "media" {
  bucket = aws_s3_bucket.media.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# No ACLs at all: the bucket's owner owns every object, and only policies grant access.
resource "aws_s3_bucket_ownership_controls" "media" {
  bucket = aws_s3_bucket.media.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "media" {
  bucket = aws_s3_bucket.media.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "media" {
  bucket = aws_s3_bucket.media.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "media" {
  bucket = aws_s3_bucket.media.id

  # A deleted job's video and MP3 (and any object replaced) expire after the grace period; the
  # delete markers left behind go too.
  rule {
    id     = "deleted-jobs"
    status = "Enabled"
    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.media_noncurrent_days
    }

    expiration {
      expired_object_delete_marker = true
    }
  }

  # An upload that never completed (a media pod gone mid-way) leaves parts that are billed: gone
  # after a day.
  rule {
    id     = "incomplete-uploads"
    status = "Enabled"
    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.media]
}

# TLS only (1.2 or later): any request over plain HTTP, or older TLS, is refused whoever makes it.
resource "aws_s3_bucket_policy" "media" {
  bucket = aws_s3_bucket.media.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "TlsOnly"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.media.arn, "${aws_s3_bucket.media.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "Tls12OrLater"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.media.arn, "${aws_s3_bucket.media.arn}/*"]
        Condition = { NumericLessThan = { "s3:TlsVersion" = "1.2" } }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.media]
}
