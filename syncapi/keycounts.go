package syncapi

import "context"

// KeyCounts tells /sync about the syncing device's end-to-end encryption
// keys: its unclaimed one-time keys per algorithm and the algorithms of
// its fallback keys not handed out yet. The client API's key store
// implements it; the sync API never reads its tables.
type KeyCounts interface {
	OneTimeKeyCounts(ctx context.Context, userID, deviceID string) (counts map[string]int, unusedFallback []string, err error)
}

// SetKeyCounts wires the key store; without one, /sync reports no keys.
func (s *SyncAPI) SetKeyCounts(k KeyCounts) { s.keyCounts = k }

// addKeyCounts fills device_one_time_keys_count and
// device_unused_fallback_key_types, which every sync carries: clients
// decide from them whether to upload more keys.
func (s *SyncAPI) addKeyCounts(ctx context.Context, sc *syncContext) error {
	if s.keyCounts == nil {
		return nil
	}
	counts, unused, err := s.keyCounts.OneTimeKeyCounts(ctx, sc.req.device.UserID, sc.req.device.DeviceID)
	if err != nil {
		return err
	}
	sc.resp.DeviceOneTimeKeysCount, sc.resp.DeviceUnusedFallbackKeyTypes = counts, unused
	return nil
}
