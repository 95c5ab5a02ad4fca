package syncapi_test

import (
	"fmt"
	"net/http"
	"slices"
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
		srv := start(t, b)
		reader := srv.NewUser(t, "reader")
		const writers, rooms, perWriter = 4, 3, 15
		var roomIDs []string
		for range rooms {
			roomIDs = append(roomIDs, createRoom(t, reader, map[string]any{"preset": "public_chat"}))
		}
		var clients []*testserver.Client
		for w := range writers {
			c := srv.NewUser(t, fmt.Sprintf("writer%d", w))
			for _, r := range roomIDs {
				join(t, c, r)
			}
			clients = append(clients, c)
		}
		token := sync(t, reader, nil).NextBatch

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
		for len(seen) < writers*perWriter {
			if time.Now().After(deadline) {
				t.Fatalf("reader saw %d of %d messages", len(seen), writers*perWriter)
			}
			s := sync(t, reader, since(token, 5*time.Second))
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
				var mine []string
				for _, body := range got {
					if body[:3] == fmt.Sprintf("w%d-", w) {
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
	})
}
