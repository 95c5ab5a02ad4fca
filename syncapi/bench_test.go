package syncapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	clientapi "github.com/ocomms/ocomms/clientapi/api"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/spec/signing"
	"github.com/ocomms/ocomms/storage"
)

// oneDevice authenticates every request as the same device.
type oneDevice struct{}

func (oneDevice) Authenticate(context.Context, string, *http.Request) (*httpapi.Device, error) {
	return &httpapi.Device{UserID: "@alice:bench", DeviceID: "BENCH"}, nil
}

// BenchmarkIncrementalSync measures the time from an output event being
// published to a parked incremental /sync answering with it: consumer,
// commit, wake-up fan-out and the sync computation, on SQLite and the
// embedded bus.
func BenchmarkIncrementalSync(b *testing.B) {
	ctx := b.Context()
	log := slog.New(slog.DiscardHandler)
	dir := b.TempDir()
	db, err := storage.Open(ctx, storage.Config{Backend: storage.BackendSQLite, SQLitePath: filepath.Join(dir, "bench.db")}, log)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	bs, err := bus.Open(ctx, bus.Config{DataDir: filepath.Join(dir, "nats"), Prefix: "bench"}, log)
	if err != nil {
		b.Fatal(err)
	}
	defer bs.Close(context.Background())
	if err := db.Migrate(ctx, "syncapi", migrations); err != nil {
		b.Fatal(err)
	}
	if err := bs.EnsureStreams(ctx, slices.Concat(api.Streams(), clientapi.KeyStreams(), wakeUpStreams(), clientapi.ReceiptsStreams(),
		clientapi.PushRulesStreams(), clientapi.TypingStreams(), clientapi.PresenceStreams(), clientapi.ErasureStreams())...); err != nil {
		b.Fatal(err)
	}
	s := New(db, bs, config.Defaults(), nil, oneDevice{}, nil, log)
	if err := s.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer s.Stop(context.Background())
	router := httpapi.NewRouter()
	s.Register(httpapi.Routes{Client: router})
	srv := httptest.NewServer(router)
	defer srv.Close()

	id, _ := signing.NewKeyID("ed25519", "bench")
	key, _ := signing.GenerateSigningKey(rand.Reader, id)
	rules, _ := roomversion.Lookup("11")
	seq := int64(0)
	publish := func(evType string, stateKey *string, content string) {
		seq++
		ev, err := event.Build(rules, event.Template{
			Type: evType, StateKey: stateKey, Sender: "@alice:bench", RoomID: "!room:bench",
			Content: json.RawMessage(content), Depth: seq, OriginServerTS: time.Now().UnixMilli(),
			PrevEvents: []string{}, AuthEvents: []string{}, OpaqueID: fmt.Sprint(seq),
		}, "bench", key)
		if err != nil {
			b.Fatal(err)
		}
		oe := api.OutputEvent{Version: api.OutputEventVersion, Sequence: seq, RoomID: "!room:bench", RoomVersion: "11",
			EventID: ev.EventID(), Event: ev.JSON()}
		if stateKey != nil {
			oe.AddsState = []string{ev.EventID()}
		}
		if err := bs.Publish(ctx, api.OutputSubject, oe); err != nil {
			b.Fatal(err)
		}
	}
	get := func(since string) syncResponse {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/_matrix/client/v3/sync?timeout=10000&since="+since, nil)
		req.Header.Set("Authorization", "Bearer bench")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		var out syncResponse
		if err := json.Unmarshal(data, &out); err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("sync: %d %s", resp.StatusCode, data)
		}
		return out
	}
	me := "@alice:bench"
	publish("m.room.member", &me, `{"membership":"join"}`)
	token := "s0"
	for token == "s0" {
		token = get(token).NextBatch
	}

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		done := make(chan syncResponse, 1)
		go func() { done <- get(token) }()
		publish("m.room.message", nil, fmt.Sprintf(`{"body":"%d"}`, i))
		r := <-done
		for r.NextBatch == token {
			r = get(token)
		}
		token = r.NextBatch
	}
}
