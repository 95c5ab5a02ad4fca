// Package s3test starts a real S3-protocol server (gofakes3 with its
// in-memory backend) on loopback for tests, so the S3 store is tested
// over HTTP against the protocol, not against a mock of a Go interface.
package s3test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/ocomms/ocomms/internal/config"
)

// Start runs a server with one empty bucket until the test ends and
// returns the configuration that reaches it.
func Start(t testing.TB) config.MediaS3 {
	t.Helper()
	fake := gofakes3.New(s3mem.New(), gofakes3.WithoutVersioning())
	srv := httptest.NewServer(fake.Server())
	t.Cleanup(srv.Close)
	cfg := config.MediaS3{
		Endpoint:        strings.TrimPrefix(srv.URL, "http://"),
		Bucket:          "ocomms-media",
		Region:          "us-east-1",
		AccessKeyID:     "test-access-key",
		SecretAccessKey: "test-secret-key",
		Prefix:          "test/",
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds: credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, ""), Region: cfg.Region,
	})
	if err != nil {
		t.Fatalf("s3test: client: %v", err)
	}
	if err := client.MakeBucket(context.Background(), cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region}); err != nil {
		t.Fatalf("s3test: creating bucket: %v", err)
	}
	return cfg
}

// Objects lists the keys under prefix in the bucket of cfg.
func Objects(t testing.TB, cfg config.MediaS3, prefix string) []string {
	t.Helper()
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds: credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, ""), Region: cfg.Region,
	})
	if err != nil {
		t.Fatalf("s3test: client: %v", err)
	}
	var keys []string
	for obj := range client.ListObjects(context.Background(), cfg.Bucket, minio.ListObjectsOptions{Prefix: cfg.Prefix + prefix, Recursive: true}) {
		if obj.Err != nil {
			t.Fatalf("s3test: listing: %v", obj.Err)
		}
		keys = append(keys, obj.Key)
	}
	return keys
}
