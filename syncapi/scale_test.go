package syncapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestMessageOnOneInstanceWakesSyncParkedOnAnother(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		instA, instB := testserver.StartTwoInstances(t, b, testserver.Config(t, b))
		alice := instA.NewUser(t, "alice")
		roomID := createRoom(t, alice, nil)
		tokenA := waitForEvent(t, alice, "", roomID, send(t, alice, roomID, "t1", "first"))

		// The same device, talking to instance B.
		onB := alice.On(instB)
		// A token handed out by A resumes on B without repeating anything.
		if s := sync(t, onB, since(tokenA, 0)); len(s.Rooms.Join) != 0 {
			t.Errorf("B repeated events already delivered by A: %+v", s.Rooms.Join)
		}

		got := make(chan syncResp, 1)
		go func() { got <- sync(t, onB, since(tokenA, 30*time.Second)) }()
		send(t, alice, roomID, "t2", "across instances")
		select {
		case s := <-got:
			if !slices.Contains(bodies(s.Rooms.Join[roomID].Timeline.Events), "across instances") {
				t.Errorf("B's sync = %+v, want the message sent through A", s.Rooms.Join[roomID])
			}
		case <-time.After(20 * time.Second):
			t.Fatal("a sync parked on B did not wake for a message sent through A")
		}
	})
}

func TestManyWritersReachOneReaderExactlyOnceInRoomOrder(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		manyWriters(t, []*testserver.Server{start(t, b)}, 4, 3, 15)
	})
}

// Writers on two instances, and a reader whose every /sync goes to the
// other instance than the last: each instance must resume the other's
// tokens without repeating or skipping what the other's writers sent.
func TestManyWritersOnTwoInstancesReachOneReaderExactlyOnceInRoomOrder(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		instA, instB := testserver.StartTwoInstances(t, b, testserver.Config(t, b))
		manyWriters(t, []*testserver.Server{instA, instB}, 8, 10, 30)
	})
}

// manyWriters has writers (spread over the instances) send perWriter
// messages each, round-robin over rooms, while one reader syncs
// incrementally, each time on the next instance. The reader must see
// every message exactly once, never in a limited timeline, each writer's
// messages in the order sent, and each room in the order /messages gives.
func manyWriters(t *testing.T, instances []*testserver.Server, writers, rooms, perWriter int) {
	t.Helper()
	reader := instances[0].NewUser(t, "reader")
	var roomIDs []string
	for range rooms {
		roomIDs = append(roomIDs, createRoom(t, reader, map[string]any{"preset": "public_chat"}))
	}
	var clients []*testserver.Client
	for w := range writers {
		c := instances[w%len(instances)].NewUser(t, fmt.Sprintf("writer%d", w))
		for _, r := range roomIDs {
			join(t, c, r)
		}
		clients = append(clients, c)
	}
	// A timeline limit above the whole test's messages: a limited
	// timeline could only mean a gap.
	query := func(token string) url.Values {
		q := since(token, 5*time.Second)
		q.Set("filter", `{"room":{"timeline":{"limit":1000}}}`)
		return q
	}
	token := sync(t, reader, query("")).NextBatch

	var wg gosync.WaitGroup
	for w, c := range clients {
		wg.Go(func() {
			for i := range perWriter {
				roomID := roomIDs[(w+i)%rooms]
				body := fmt.Sprintf("w%d-%03d", w, i)
				resp := c.Do(t, http.MethodPut, v3+"/rooms/"+esc(roomID)+"/send/m.room.message/"+body,
					map[string]any{"msgtype": "m.text", "body": body})
				if resp.Status != http.StatusOK {
					t.Errorf("send %s: %d %s", body, resp.Status, resp.Body)
				}
			}
		})
	}

	seen := map[string]int{}
	perRoom := map[string][]string{}
	deadline := time.Now().Add(60 * time.Second)
	for n := 0; len(seen) < writers*perWriter; n++ {
		if time.Now().After(deadline) {
			t.Fatalf("reader saw %d of %d messages", len(seen), writers*perWriter)
		}
		s := sync(t, reader.On(instances[n%len(instances)]), query(token))
		for roomID, room := range s.Rooms.Join {
			if room.Timeline.Limited {
				t.Fatalf("incremental timeline of %s was limited: a gap would hide events", roomID)
			}
			for _, body := range bodies(room.Timeline.Events) {
				seen[body]++
				perRoom[roomID] = append(perRoom[roomID], body)
			}
		}
		token = s.NextBatch
	}
	wg.Wait()
	for body, n := range seen {
		if n != 1 {
			t.Errorf("message %s delivered %d times", body, n)
		}
	}
	// Each writer's messages in a room arrive in the order sent, and
	// the room's order is the one /messages reports.
	for roomID, got := range perRoom {
		for w := range writers {
			prefix := fmt.Sprintf("w%d-", w)
			var mine []string
			for _, body := range got {
				if strings.HasPrefix(body, prefix) {
					mine = append(mine, body)
				}
			}
			if !slices.IsSorted(mine) {
				t.Errorf("writer %d's messages in %s arrived out of order: %v", w, roomID, mine)
			}
		}
		var page struct {
			Chunk []clientEvent `json:"chunk"`
		}
		reader.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/messages?dir=f&limit=1000", nil).JSON(t, &page)
		if history := bodies(page.Chunk); !slices.Equal(history, got) {
			t.Errorf("sync order in %s = %v, /messages order = %v", roomID, got, history)
		}
	}
}
