package keys

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/internal/outbox"
	"github.com/ocomms/ocomms/storage"
)

// outboxes are the two streams the key store publishes, each written in
// the transaction of the change it announces.
type outboxes struct {
	toDevice, deviceLists *outbox.Outbox
}

func newOutboxes(db *storage.DB, b *bus.Bus, log *slog.Logger) *outboxes {
	// The message ID the stream de-duplicates by is the one the payload
	// carries, which consumers also de-duplicate by past the window.
	prepare := func(seq int64, payload []byte) (any, string, error) {
		var m struct {
			MessageID string `json:"message_id"`
		}
		if err := json.Unmarshal(payload, &m); err != nil {
			return nil, "", err
		}
		return json.RawMessage(payload), m.MessageID, nil
	}
	return &outboxes{
		toDevice:    outbox.New(db, b, "keys_to_device_outbox", api.ToDeviceSubject, log, outbox.WithPrepare(prepare)),
		deviceLists: outbox.New(db, b, "keys_device_list_outbox", api.DeviceListSubject, log, outbox.WithPrepare(prepare)),
	}
}

func (o *outboxes) streams() []bus.StreamSpec { return api.KeyStreams() }

func (o *outboxes) start(ctx context.Context) error {
	if err := o.toDevice.Start(ctx); err != nil {
		return err
	}
	return o.deviceLists.Start(ctx)
}

func (o *outboxes) stop(ctx context.Context) error {
	return errors.Join(o.toDevice.Stop(ctx), o.deviceLists.Stop(ctx))
}

// notify wakes the publishers after a commit.
func (o *outboxes) notify() {
	o.toDevice.Notify()
	o.deviceLists.Notify()
}

// deviceListChanged records inside tx that userID's devices or keys
// changed, for everyone sharing a room with them.
func (o *outboxes) deviceListChanged(ctx context.Context, tx *storage.Tx, userID string) error {
	return o.deviceListChangedFor(ctx, tx, userID, nil)
}

// deviceListChangedFor is deviceListChanged told only to visibleTo, when
// set.
func (o *outboxes) deviceListChangedFor(ctx context.Context, tx *storage.Tx, userID string, visibleTo []string) error {
	return o.deviceLists.Enqueue(ctx, tx, api.DeviceListUpdate{
		Version: api.DeviceListUpdateVersion, MessageID: rand.Text(), UserID: userID, VisibleTo: visibleTo,
	})
}

// sendToDevice records an accepted to-device message inside tx.
func (o *outboxes) sendToDevice(ctx context.Context, tx *storage.Tx, m api.ToDevice) error {
	m.Version, m.MessageID = api.ToDeviceVersion, rand.Text()
	return o.toDevice.Enqueue(ctx, tx, m)
}
