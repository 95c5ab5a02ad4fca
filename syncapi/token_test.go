package syncapi

import "testing"

func TestSyncTokensRoundTripAndOldTokensStayValid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want syncToken
		out  string
	}{
		{"a token of the room stream alone", "s42", syncToken{Rooms: 42}, "s42"},
		{"every stream", "s1_2_3_4_5_6_7", syncToken{1, 2, 3, 4, 5, 6, 7}, "s1_2_3_4_5_6_7"},
		{"trailing zero positions are left out", "s5_0_3_0_0_0_0", syncToken{Rooms: 5, Receipts: 3}, "s5_0_3"},
		{"fields of a newer version are ignored", "s1_2_3_4_5_6_7_8_9", syncToken{1, 2, 3, 4, 5, 6, 7}, "s1_2_3_4_5_6_7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSyncToken(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if s := got.String(); s != tt.out {
				t.Errorf("String() = %q, want %q", s, tt.out)
			}
		})
	}
}

func TestMalformedSyncTokensAreRefused(t *testing.T) {
	for _, in := range []string{"", "s", "42", "s-1", "s1__2", "s1_x", "t1_2"} {
		if _, err := parseSyncToken(in); err == nil {
			t.Errorf("parse(%q) succeeded", in)
		}
	}
}

func TestTokenComparisonIsPerStream(t *testing.T) {
	now := syncToken{Rooms: 10, Receipts: 5}
	behind := syncToken{Rooms: 9, Receipts: 5}
	ahead := syncToken{Rooms: 9, Receipts: 6}
	if behind.ahead(now) {
		t.Errorf("%v is ahead of %v", behind, now)
	}
	if !ahead.ahead(now) {
		t.Errorf("%v is not ahead of %v", ahead, now)
	}
	if got := ahead.atMost(now); got != (syncToken{Rooms: 9, Receipts: 5}) {
		t.Errorf("atMost = %+v", got)
	}
	if got := ahead.atLeast(now); got != (syncToken{Rooms: 10, Receipts: 6}) {
		t.Errorf("atLeast = %+v", got)
	}
}
