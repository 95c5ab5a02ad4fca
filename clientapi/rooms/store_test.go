package rooms

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

// memberships is a roomserver that only answers Membership, from a map
// of "room user" to the current membership.
type memberships struct {
	api.API
	current map[string]api.Membership
}

func (m *memberships) Membership(_ context.Context, roomID, userID string) (api.Membership, error) {
	return m.current[roomID+" "+userID], nil
}

func newTestRooms(t *testing.T, db *storage.DB, rs api.API) *Rooms {
	t.Helper()
	if err := db.Migrate(t.Context(), "clientapi", migrations); err != nil {
		t.Fatalf("migrating: %v", err)
	}
	cfg := config.Defaults()
	cfg.ServerName = "test.ocomms.local"
	return New(cfg, db, rs, nil, storagetest.Logger(t))
}

func TestForgottenRoomsStayForgottenUntilTheMembershipChanges(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		rs := &memberships{current: map[string]api.Membership{
			"!a:x @u:x": {Membership: "leave", EventID: "$leave-a"},
			"!b:x @u:x": {Membership: "ban", EventID: "$ban-b"},
		}}
		r := newTestRooms(t, db, rs)
		for _, room := range []string{"!a:x", "!b:x"} {
			if err := r.storeForgotten(ctx, "@u:x", room, rs.current[room+" @u:x"].EventID); err != nil {
				t.Fatal(err)
			}
		}
		got, err := r.ForgottenRooms(ctx, "@u:x")
		if err != nil || !slices.Equal(got, []string{"!a:x", "!b:x"}) {
			t.Fatalf("forgotten rooms %v, %v", got, err)
		}

		// A new invite into room a brings it back.
		rs.current["!a:x @u:x"] = api.Membership{Membership: "invite", EventID: "$invite-a"}
		if forgotten, err := r.IsForgotten(ctx, "@u:x", "!a:x"); err != nil || forgotten {
			t.Errorf("room a after a new invite: forgotten=%v, %v", forgotten, err)
		}
		if forgotten, err := r.IsForgotten(ctx, "@u:x", "!b:x"); err != nil || !forgotten {
			t.Errorf("room b: forgotten=%v, %v", forgotten, err)
		}
		if got, _ := r.ForgottenRooms(ctx, "@other:x"); len(got) != 0 {
			t.Errorf("another user's forgotten rooms %v", got)
		}
	})
}

func TestAliasReservations(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		r := newTestRooms(t, db, &memberships{})
		insert := func(alias, roomID string) error {
			return db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
				return insertAlias(ctx, tx, alias, roomID, "@u:x")
			})
		}

		if err := r.reserveAlias(ctx, "#a:x", "@u:x"); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := r.lookupAlias(ctx, "#a:x"); ok {
			t.Error("a reserved alias resolves before its room exists")
		}
		if err := insert("#a:x", "!other:x"); !errors.Is(err, errAliasTaken) {
			t.Errorf("taking a reserved alias: %v", err)
		}
		if err := r.releaseAlias(ctx, "#a:x"); err != nil {
			t.Fatal(err)
		}
		if err := insert("#a:x", "!other:x"); err != nil {
			t.Errorf("taking a released alias: %v", err)
		}

		// A reservation whose createRoom died expires.
		if err := r.reserveAlias(ctx, "#stale:x", "@u:x"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `UPDATE room_aliases SET created_ts = 0 WHERE alias = '#stale:x'`); err != nil {
			t.Fatal(err)
		}
		if err := insert("#stale:x", "!room:x"); err != nil {
			t.Errorf("taking an expired reservation: %v", err)
		}
		a, ok, err := r.lookupAlias(ctx, "#stale:x")
		if err != nil || !ok || a.RoomID != "!room:x" {
			t.Errorf("after takeover: %v %v %v", a, ok, err)
		}
	})
}
