package syncapi

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ocomms/ocomms/bus"
	clientapi "github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/storage"
)

// The to-device stream: messages for one device, delivered in /sync in
// the order they were accepted and deleted once the device syncs with a
// token past them, so a response lost on the way is delivered again.
//
// https://spec.matrix.org/latest/client-server-api/#send-to-device-messaging
const (
	streamToDevice = "to_device"
	// toDeviceBatch is how many messages one sync delivers, as Synapse:
	// a device back after a long time gets them over several syncs.
	toDeviceBatch = 100
)

func (s *SyncAPI) toDeviceSection() section {
	return section{
		name:     streamToDevice,
		position: func(t *syncToken) *int64 { return &t.ToDevice },
		add:      s.addToDevice,
	}
}

func (s *SyncAPI) toDeviceConsumer() consumer {
	return consumer{stream: clientapi.ToDeviceStream, durable: "syncapi_to_device", subject: clientapi.ToDeviceSubject, handle: s.handleToDevice}
}

// handleToDevice stores each recipient's copy under the next positions.
func (s *SyncAPI) handleToDevice(ctx context.Context, m bus.Message) error {
	var msg clientapi.ToDevice
	if err := m.Decode(&msg); err != nil {
		return bus.Permanent(err)
	}
	if msg.Version != clientapi.ToDeviceVersion {
		return fmt.Errorf("to-device message %s has version %d, this syncapi reads %d", msg.MessageID, msg.Version, clientapi.ToDeviceVersion)
	}
	var last int64
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		last = 0
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM syncapi_to_device WHERE message_id = $1 LIMIT 1`, msg.MessageID).Scan(&one)
		if err == nil {
			return nil // delivered twice by the bus
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("checking to-device message %s: %w", msg.MessageID, err)
		}
		for _, r := range msg.Recipients {
			pos, err := nextPosition(ctx, tx, streamToDevice)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO syncapi_to_device (stream_pos, message_id, user_id, device_id, sender, type, content, ts)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, pos, msg.MessageID, r.UserID, r.DeviceID, msg.Sender, msg.Type, string(r.Content),
				time.Now().UnixMilli()); err != nil {
				return fmt.Errorf("storing to-device message %s: %w", msg.MessageID, err)
			}
			last = pos
		}
		return nil
	})
	if err != nil || last == 0 {
		return err
	}
	users := map[string]bool{}
	var wu wakeUp
	for _, r := range msg.Recipients {
		if !users[r.UserID] {
			users[r.UserID] = true
			wu.UserIDs = append(wu.UserIDs, r.UserID)
		}
	}
	wu.Stream, wu.Position = streamToDevice, last
	s.wake(ctx, wu)
	return nil
}

// addToDevice deletes what the device acknowledged (everything up to its
// since token) and delivers the next batch.
func (s *SyncAPI) addToDevice(ctx context.Context, sc *syncContext, _, to int64) error {
	dev := sc.req.device
	var acked int64
	if sc.req.since != nil {
		// Even a full_state sync does not deliver acknowledged messages
		// again: they are not state.
		acked = sc.since.ToDevice
		if err := s.ackToDevice(ctx, dev.UserID, dev.DeviceID, acked); err != nil {
			return err
		}
	}
	if acked >= to {
		return nil
	}
	events, last, err := s.toDeviceMessages(ctx, dev.UserID, dev.DeviceID, acked, to)
	if err != nil {
		return err
	}
	sc.resp.ToDevice.Events = append(sc.resp.ToDevice.Events, events...)
	if len(events) == toDeviceBatch {
		sc.next.ToDevice = last
	}
	return nil
}

// toDeviceMessages reads the next batch of a device's messages in
// (after, to] as events, with the position of the last one (0 for none).
func (s *SyncAPI) toDeviceMessages(ctx context.Context, userID, deviceID string, after, to int64) ([]json.RawMessage, int64, error) {
	rows, err := s.db.Query(ctx, `SELECT stream_pos, sender, type, content FROM syncapi_to_device
		WHERE user_id = $1 AND device_id = $2 AND stream_pos > $3 AND stream_pos <= $4 ORDER BY stream_pos LIMIT $5`,
		userID, deviceID, after, to, toDeviceBatch)
	if err != nil {
		return nil, 0, fmt.Errorf("reading to-device messages: %w", err)
	}
	defer rows.Close()
	var last int64
	events := []json.RawMessage{}
	for rows.Next() {
		var sender, evType, content string
		if err := rows.Scan(&last, &sender, &evType, &content); err != nil {
			return nil, 0, fmt.Errorf("reading to-device messages: %w", err)
		}
		ev, err := json.Marshal(map[string]any{"sender": sender, "type": evType, "content": json.RawMessage(content)})
		if err != nil {
			return nil, 0, fmt.Errorf("encoding a to-device message: %w", err)
		}
		events = append(events, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("reading to-device messages: %w", err)
	}
	return events, last, nil
}

// ackToDevice deletes the messages a device acknowledged, up to pos.
func (s *SyncAPI) ackToDevice(ctx context.Context, userID, deviceID string, pos int64) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM syncapi_to_device WHERE user_id = $1 AND device_id = $2 AND stream_pos <= $3`,
		userID, deviceID, pos); err != nil {
		return fmt.Errorf("deleting acknowledged to-device messages: %w", err)
	}
	return nil
}
