package rooms

import (
	"context"
	"fmt"
	"strings"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/storage"
)

// userDirectoryConsumer is the durable consumer shared by every clientapi
// instance; ordered delivery keeps a room's joins and leaves in order.
const userDirectoryConsumer = "clientapi-user-directory"

// StartUserDirectory keeps the user directory's tables up to date from the
// roomserver's output stream until ctx ends or the subscription stops.
//
// The stream keeps a week of events, so rooms whose state last changed
// before this server first ran this consumer are found once their state
// changes again.
func (r *Rooms) StartUserDirectory(ctx context.Context, b *bus.Bus) (bus.Subscription, error) {
	sub, err := b.Consume(ctx, api.OutputStream, userDirectoryConsumer, r.handleDirectoryOutput,
		bus.WithFilterSubjects(api.OutputSubject), bus.WithOrderedDelivery())
	if err != nil {
		return nil, fmt.Errorf("user directory: %w", err)
	}
	return sub, nil
}

func (r *Rooms) handleDirectoryOutput(ctx context.Context, m bus.Message) error {
	var oe api.OutputEvent
	if err := m.Decode(&oe); err != nil {
		return bus.Permanent(err)
	}
	if oe.Version != api.OutputEventVersion {
		// A newer roomserver during a rolling upgrade: leave it for an
		// upgraded instance rather than misread it.
		return fmt.Errorf("output event %s has version %d, this clientapi reads %d", oe.EventID, oe.Version, api.OutputEventVersion)
	}
	added, err := r.addedDirectoryState(ctx, &oe)
	if err != nil {
		return err
	}
	if len(added) == 0 {
		return nil
	}
	return r.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		for _, ev := range added {
			if err := applyDirectoryState(ctx, tx, ev); err != nil {
				return fmt.Errorf("user directory, event %s: %w", ev.EventID(), err)
			}
		}
		return nil
	})
}

// addedDirectoryState returns the member and join rules events entering
// the room's state with this output. Usually that is the event itself;
// after state resolution it may be others, which the roomserver supplies.
func (r *Rooms) addedDirectoryState(ctx context.Context, oe *api.OutputEvent) ([]*event.Event, error) {
	if len(oe.AddsState) == 0 {
		return nil, nil
	}
	rules, err := roomversion.Lookup(oe.RoomVersion)
	if err != nil {
		return nil, bus.Permanent(fmt.Errorf("output event %s: %w", oe.EventID, err))
	}
	ev, err := event.ParseWithEventID(rules, oe.Event, oe.EventID)
	if err != nil {
		return nil, bus.Permanent(fmt.Errorf("output event %s: %w", oe.EventID, err))
	}
	var added, others []*event.Event
	var otherIDs []string
	for _, id := range oe.AddsState {
		if id == ev.EventID() {
			added = append(added, ev)
		} else {
			otherIDs = append(otherIDs, id)
		}
	}
	if len(otherIDs) > 0 {
		if others, err = r.rooms.Events(ctx, otherIDs...); err != nil {
			return nil, fmt.Errorf("fetching state events %v: %w", otherIDs, err)
		}
	}
	var out []*event.Event
	for _, e := range append(added, others...) {
		if t := e.Type(); e.IsState() && (t == typeMember || t == typeJoinRules) {
			out = append(out, e)
		}
	}
	return out, nil
}

// applyDirectoryState records one state event: a member event puts its
// user in the room's directory while joined and takes them out otherwise;
// join rules say whether the room's members are visible to everyone.
func applyDirectoryState(ctx context.Context, tx *storage.Tx, ev *event.Event) error {
	roomID := ev.RoomID()
	if ev.Type() == typeJoinRules {
		public := contentString(ev, "join_rule") == "public"
		_, err := tx.Exec(ctx, `INSERT INTO user_directory_rooms (room_id, is_public) VALUES ($1, $2)
			ON CONFLICT (room_id) DO UPDATE SET is_public = excluded.is_public`, roomID, public)
		return err
	}
	userID := *ev.StateKey()
	if contentString(ev, "membership") != membershipJoin {
		_, err := tx.Exec(ctx, `DELETE FROM user_directory_members WHERE room_id = $1 AND user_id = $2`, roomID, userID)
		return err
	}
	name, avatar := contentString(ev, "displayname"), contentString(ev, "avatar_url")
	_, err := tx.Exec(ctx, `INSERT INTO user_directory_members (room_id, user_id, display_name, avatar_url, search_text)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (room_id, user_id) DO UPDATE SET display_name = excluded.display_name,
			avatar_url = excluded.avatar_url, search_text = excluded.search_text`,
		roomID, userID, emptyToNull(name), emptyToNull(avatar), strings.ToLower(userID+"\n"+name))
	return err
}

func emptyToNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}
