package syncapi

import (
	"context"
	"fmt"
)

// Devices lists the devices of local users; the accounts component keeps
// them. The sweeper asks it which devices to-device messages wait for in
// vain.
type Devices interface {
	// DeviceNames maps each user's device IDs to their display names;
	// users without devices are absent.
	DeviceNames(ctx context.Context, userIDs []string) (map[string]map[string]string, error)
}

// SetDevices sets where the sweeper learns which devices exist. Without
// it no to-device message is swept.
func (s *SyncAPI) SetDevices(d Devices) { s.devices = d }

// toDeviceSweepBatch is how many (user, device) pairs one round of the
// to-device sweep looks up.
const toDeviceSweepBatch = 200

// sweepToDevice deletes the to-device messages stored before the
// millisecond timestamp before for devices that do not exist: a message
// that reached the consumer after its device was deleted (deleting a
// device drops the messages already stored), or one sent to a device ID
// that never existed. Messages of existing devices, the dehydrated one
// included, wait until they are delivered. It returns how many it
// deleted.
func (s *SyncAPI) sweepToDevice(ctx context.Context, before int64) (int64, error) {
	if s.devices == nil {
		return 0, nil
	}
	var afterUser, afterDevice string
	var swept int64
	for {
		pairs, err := s.oldToDeviceRecipients(ctx, before, afterUser, afterDevice)
		if err != nil {
			return swept, err
		}
		if len(pairs) == 0 {
			return swept, nil
		}
		users := make([]string, 0, len(pairs))
		for _, p := range pairs {
			if len(users) == 0 || users[len(users)-1] != p[0] {
				users = append(users, p[0])
			}
		}
		existing, err := s.devices.DeviceNames(ctx, users)
		if err != nil {
			return swept, fmt.Errorf("listing devices: %w", err)
		}
		for _, p := range pairs {
			if _, ok := existing[p[0]][p[1]]; ok {
				continue
			}
			res, err := s.db.Exec(ctx, `DELETE FROM syncapi_to_device WHERE user_id = $1 AND device_id = $2 AND ts < $3`, p[0], p[1], before)
			if err != nil {
				return swept, fmt.Errorf("sweeping to-device messages of a missing device: %w", err)
			}
			if n, err := res.RowsAffected(); err == nil {
				swept += n
			}
		}
		if len(pairs) < toDeviceSweepBatch || ctx.Err() != nil {
			return swept, ctx.Err()
		}
		afterUser, afterDevice = pairs[len(pairs)-1][0], pairs[len(pairs)-1][1]
	}
}

// oldToDeviceRecipients returns the next (user, device) pairs after the
// given one, in order, that have messages stored before before.
func (s *SyncAPI) oldToDeviceRecipients(ctx context.Context, before int64, afterUser, afterDevice string) ([][2]string, error) {
	rows, err := s.db.Query(ctx, `SELECT DISTINCT user_id, device_id FROM syncapi_to_device
		WHERE ts < $1 AND (user_id, device_id) > ($2, $3) ORDER BY user_id, device_id LIMIT $4`,
		before, afterUser, afterDevice, toDeviceSweepBatch)
	if err != nil {
		return nil, fmt.Errorf("listing recipients of old to-device messages: %w", err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, fmt.Errorf("listing recipients of old to-device messages: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing recipients of old to-device messages: %w", err)
	}
	return out, nil
}
