package roomserver_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/roomserver"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

// BenchmarkSubmit measures messages per second into one room, where the
// room lock serialises them, and into many rooms in parallel, with the
// outbox publisher running on an embedded bus.
func BenchmarkSubmit(b *testing.B) {
	for _, backend := range []string{storage.BackendSQLite, storage.BackendPostgres} {
		b.Run(backend, func(b *testing.B) {
			rs := benchRoomserver(b, backend)
			b.Run("one room", func(b *testing.B) {
				roomID := benchRoom(b, rs)
				b.SetParallelism(4)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := rs.Submit(context.Background(), message(roomID, alice, "bench")); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
			b.Run("many rooms", func(b *testing.B) {
				const rooms = 32
				ids := make([]string, rooms)
				for i := range ids {
					ids[i] = benchRoom(b, rs)
				}
				var next atomic.Int64
				b.SetParallelism(4)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						roomID := ids[next.Add(1)%rooms]
						if _, err := rs.Submit(context.Background(), message(roomID, alice, "bench")); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		})
	}
}

func benchRoom(b *testing.B, rs api.API) string {
	b.Helper()
	resps, err := rs.Submit(context.Background(),
		api.SubmitRequest{Type: "m.room.create", StateKey: ptr(""), Sender: alice, RoomVersion: roomversion.Default},
		join("", alice),
	)
	if err != nil {
		b.Fatal(err)
	}
	return resps[0].RoomID
}

// benchRoomserver opens a fresh database (PostgreSQL in a database of its
// own, skipped without OCOMMS_TEST_POSTGRES) and an embedded bus.
func benchRoomserver(b *testing.B, backend string) *roomserver.Roomserver {
	b.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	cfg := storage.Config{Backend: storage.BackendSQLite, SQLitePath: filepath.Join(b.TempDir(), "ocomms.db")}
	if backend == storage.BackendPostgres {
		dsn := os.Getenv(storagetest.EnvPostgres)
		if dsn == "" {
			b.Skipf("%s is not set", storagetest.EnvPostgres)
		}
		admin, err := storage.Open(ctx, storage.Config{Backend: storage.BackendPostgres, PostgresDSN: dsn, MaxOpenConns: 1}, log)
		if err != nil {
			b.Fatal(err)
		}
		name := "ocomms_bench_" + strings.ToLower(rand.Text())
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			admin.Close()
		})
		cfg = storage.Config{Backend: storage.BackendPostgres, PostgresDSN: strings.Replace(dsn, "/test?", "/"+name+"?", 1)}
		if !strings.Contains(dsn, "/test?") {
			b.Skipf("benchmark expects a DSN naming database test, got %s", dsn)
		}
	}
	db, err := storage.Open(ctx, cfg, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	bs, err := bus.Open(ctx, bus.Config{DataDir: b.TempDir()}, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = bs.Close(ctx)
	})
	rcfg := config.Defaults()
	rcfg.ServerName = serverName
	rs := roomserver.New(db, bs, rcfg, testKey, log)
	if err := db.Migrate(ctx, rs.Name(), rs.Migrations()); err != nil {
		b.Fatal(err)
	}
	if err := bs.EnsureStreams(ctx, rs.Streams()...); err != nil {
		b.Fatal(err)
	}
	if err := rs.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := rs.Stop(ctx); err != nil {
			b.Error(fmt.Errorf("stop: %w", err))
		}
	})
	return rs
}
