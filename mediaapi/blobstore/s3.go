package blobstore

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/ocomms/ocomms/internal/config"
)

// S3 keeps blobs as objects in an S3-compatible bucket, under the
// configured prefix. An object appears only when its upload completed
// (S3 PUT and multipart completion are atomic), so readers never see
// partial blobs.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
}

// NewS3 connects to the bucket of cfg. It does not create the bucket:
// the operator provisions it (and its access policy).
func NewS3(cfg config.MediaS3) (*S3, error) {
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, ""),
		Secure: cfg.UseTLS,
		Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("blobstore: s3 endpoint %s: %w", cfg.Endpoint, err)
	}
	return &S3{client: client, bucket: cfg.Bucket, prefix: cfg.Prefix}, nil
}

// Name is "s3".
func (s *S3) Name() string { return "s3" }

// Check confirms the bucket exists and the credentials reach it, for the
// start-up preflight.
func (s *S3) Check(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("blobstore: s3 bucket %s: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("blobstore: s3 bucket %s does not exist", s.bucket)
	}
	return nil
}

func (s *S3) object(key string) string { return s.prefix + "blobs/" + key[0:2] + "/" + key }

// Put uploads the blob (multipart for large ones, which minio-go decides).
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if !ValidKey(key) {
		return ErrBadKey
	}
	_, err := s.client.PutObject(ctx, s.bucket, s.object(key), r, size, minio.PutObjectOptions{
		ContentType: "application/octet-stream",
	})
	if err != nil {
		return fmt.Errorf("blobstore: s3 put %s: %w", key, err)
	}
	return nil
}

// Open returns the object; reads and seeks become ranged GETs.
func (s *S3) Open(ctx context.Context, key string) (Blob, error) {
	if !ValidKey(key) {
		return nil, ErrBadKey
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.object(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("blobstore: s3 get %s: %w", key, err)
	}
	info, err := obj.Stat()
	if err != nil {
		obj.Close()
		if isNotFound(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("blobstore: s3 get %s: %w", key, err)
	}
	return s3Blob{Object: obj, size: info.Size}, nil
}

// Delete removes the object; S3 answers success for absent keys.
func (s *S3) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return ErrBadKey
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.object(key), minio.RemoveObjectOptions{}); err != nil && !isNotFound(err) {
		return fmt.Errorf("blobstore: s3 delete %s: %w", key, err)
	}
	return nil
}

func isNotFound(err error) bool {
	resp := minio.ToErrorResponse(err)
	return resp.StatusCode == http.StatusNotFound || resp.Code == "NoSuchKey"
}

type s3Blob struct {
	*minio.Object
	size int64
}

func (b s3Blob) Size() int64 { return b.size }
