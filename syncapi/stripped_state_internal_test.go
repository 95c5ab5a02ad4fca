package syncapi

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"
)

func TestStripEventKeepsOnlyTheStrippedStateFields(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"a full PDU", `{"type":"m.room.create","state_key":"","sender":"@a:x.example","content":{"room_version":"12"},
			"event_id":"$e","origin_server_ts":1,"auth_events":[],"prev_events":[],"hashes":{"sha256":"h"},"signatures":{},"unsigned":{"age":1}}`},
		{"a stripped event", `{"type":"m.room.create","state_key":"","sender":"@a:x.example","content":{"room_version":"12"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got map[string]json.RawMessage
			if err := json.Unmarshal(stripEvent(json.RawMessage(tt.in)), &got); err != nil {
				t.Fatal(err)
			}
			if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, []string{"content", "sender", "state_key", "type"}) {
				t.Errorf("keys %v", keys)
			}
			if string(got["content"]) != `{"room_version":"12"}` || string(got["sender"]) != `"@a:x.example"` {
				t.Errorf("stripped %v", got)
			}
		})
	}
}
