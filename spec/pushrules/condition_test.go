package pushrules

import (
	"encoding/json"
	"testing"
)

func TestConditionsMatchTheEventAsTheSpecDefines(t *testing.T) {
	ctx := Context{UserID: alice, DisplayName: "Alice", RoomMemberCount: 5,
		SenderPowerLevel: 50, NotificationPowerLevels: map[string]int64{"room": 50, "custom": 10}}
	match := func(key, pattern string) Condition {
		return Condition{Kind: ConditionEventMatch, Key: key, Pattern: pattern}
	}
	is := func(key string, v Value) Condition {
		return Condition{Kind: ConditionEventPropertyIs, Key: key, Value: v}
	}
	contains := func(key string, v Value) Condition {
		return Condition{Kind: ConditionEventPropertyContains, Key: key, Value: v}
	}
	tests := []struct {
		name string
		cond Condition
		want bool
	}{
		{"event_match globs a whole value", match("content.topic", "lunc?*"), true},
		{"event_match ignores case", match("type", "M.ROOM.CREATE"), true},
		{"event_match must cover the whole value", match("content.topic", "lunch"), false},
		{"event_match matches the empty string with the empty pattern", match("content.empty", ""), true},
		{"event_match lets * match an empty string", match("content.empty", "*"), true},
		{"event_match does not match null even with *", match("content.nothing", "*"), false},
		{"event_match does not match an integer even with *", match("content.count", "*"), false},
		{"event_match does not match an object even with *", match("content.predecessor", "*"), false},
		{"event_match does not match an array even with *", match("content.alt_aliases", "*"), false},
		{"event_match does not match an absent property even with *", match("content.missing", "*"), false},
		{"event_match without a key never matches", match("", "*"), false},
		{"event_match reaches nested objects", match("content.nested.deeper.leaf", "YES"), true},
		{"event_match on content.body matches words", match("content.body", "ex*ple"), true},
		{"event_match on content.body matches a word before punctuation", match("content.body", "event"), true},
		{"event_match on content.body does not match part of a word", match("content.body", "exam"), false},
		{"event_match folds case beyond ASCII", match("content.upper", "ğünaydin straße"), true},
		{"event_match uses simple folding, so ß is not ss", match("content.upper", "ğünaydin strasse"), false},
		{`a key escapes a dot in a property name with \.`, match(`content.a\.b.c`, "dotted"), true},
		{"an unescaped dot descends instead", match("content.a.b.c", "dotted"), false},
		{`a key escapes a backslash in a property name with \\`, match(`content.m\\foo`, "backslash"), true},
		{`a key keeps any other backslash literally`, match(`content.x\y`, "other escape"), true},
		{`a key may escape that backslash too`, match(`content.x\\y`, "other escape"), true},

		{"event_property_is matches a boolean", is(`content.m\.federate`, BoolValue(true)), true},
		{"event_property_is does not match a string for a boolean", is(`content.m\.federate`, StringValue("true")), false},
		{"event_property_is does not cast 1 to true", is(`content.m\.federate`, IntValue(1)), false},
		{"event_property_is matches an integer", is("content.count", IntValue(42)), true},
		{"event_property_is ignores integers beyond 2**53-1", is("content.big", IntValue(9007199254740992)), false},
		{"event_property_is ignores floats", is("content.ratio", IntValue(1)), false},
		{"event_property_is matches null", is("content.nothing", NullValue()), true},
		{"event_property_is does not match null to an absent property", is("content.missing", NullValue()), false},
		{"event_property_is is case-sensitive", is("content.predecessor.room_id", StringValue("!OLDROOM:example.org")), false},
		{"event_property_is matches a nested string exactly", is("content.predecessor.room_id", StringValue("!oldroom:example.org")), true},
		{"event_property_is does not match an array", is("content.alt_aliases", StringValue("#myroom:example.com")), false},
		{"event_property_is without a value never matches", Condition{Kind: ConditionEventPropertyIs, Key: "content.nothing"}, false},

		{"event_property_contains finds a string element", contains("content.alt_aliases", StringValue("#myroom:example.com")), true},
		{"event_property_contains does not match part of an element", contains("content.alt_aliases", StringValue(":example.com")), false},
		{"event_property_contains finds an integer element", contains("content.alt_aliases", IntValue(7)), true},
		{"event_property_contains finds a boolean element", contains("content.alt_aliases", BoolValue(true)), true},
		{"event_property_contains finds a null element", contains("content.alt_aliases", NullValue()), true},
		{"event_property_contains does not match a string property", contains("content.topic", StringValue("Lunch plans")), false},
		{"event_property_contains does not match an absent property", contains("content.missing", NullValue()), false},

		{"contains_display_name does not match a body without the name", Condition{Kind: ConditionContainsDisplayName}, false},

		{"room_member_count defaults to equality", Condition{Kind: ConditionRoomMemberCount, Is: "5"}, true},
		{"room_member_count accepts ==", Condition{Kind: ConditionRoomMemberCount, Is: "==5"}, true},
		{"room_member_count accepts <", Condition{Kind: ConditionRoomMemberCount, Is: "<5"}, false},
		{"room_member_count accepts <=", Condition{Kind: ConditionRoomMemberCount, Is: "<=5"}, true},
		{"room_member_count accepts >", Condition{Kind: ConditionRoomMemberCount, Is: ">4"}, true},
		{"room_member_count accepts >=", Condition{Kind: ConditionRoomMemberCount, Is: ">=6"}, false},
		{"room_member_count rejects a lone =", Condition{Kind: ConditionRoomMemberCount, Is: "=5"}, false},
		{"room_member_count rejects a sign", Condition{Kind: ConditionRoomMemberCount, Is: "<-1"}, false},
		{"room_member_count rejects trailing text", Condition{Kind: ConditionRoomMemberCount, Is: "5 "}, false},
		{"room_member_count without is never matches", Condition{Kind: ConditionRoomMemberCount}, false},

		{"sender_notification_permission passes at the required level", Condition{Kind: ConditionSenderNotificationPermission, Key: "room"}, true},
		{"sender_notification_permission reads other keys", Condition{Kind: ConditionSenderNotificationPermission, Key: "custom"}, true},
		{"sender_notification_permission defaults unknown keys to 50", Condition{Kind: ConditionSenderNotificationPermission, Key: "other"}, true},
		{"sender_notification_permission without a key never matches", Condition{Kind: ConditionSenderNotificationPermission}, false},

		{"an unknown condition never matches", Condition{Kind: "org.example.always"}, false},
	}
	e := eventEvaluator(t, "properties")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := e.ConditionMatches(tt.cond, ctx); got != tt.want {
				t.Errorf("ConditionMatches(%+v) = %v, want %v", tt.cond, got, tt.want)
			}
		})
	}
}

func TestSenderNotificationPermissionComparesPowerLevels(t *testing.T) {
	cond := Condition{Kind: ConditionSenderNotificationPermission, Key: "room"}
	tests := []struct {
		name   string
		power  int64
		levels map[string]int64
		want   bool
	}{
		{"a sender above the level passes", 100, map[string]int64{"room": 50}, true},
		{"a sender below the level fails", 49, map[string]int64{"room": 50}, false},
		{"a room that sets the level to 0 lets anyone pass", 0, map[string]int64{"room": 0}, true},
		{"a room without levels requires 50", 49, nil, false},
	}
	e := eventEvaluator(t, "room_mention")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := Context{UserID: alice, SenderPowerLevel: tt.power, NotificationPowerLevels: tt.levels}
			if got := e.ConditionMatches(cond, ctx); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestContainsDisplayNameMatchesWholeWordsOfTheBody(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		displayName string
		want        bool
	}{
		{"the name alone matches", "Alice", "Alice", true},
		{"the name ignores case", "hey ALICE, hi", "alice", true},
		{"the name inside a longer word does not match", "Alicent is here", "Alice", false},
		{"the name followed by an underscore does not match", "Alice_bot", "Alice", false},
		{"a name with spaces matches across them", "ask Alice Liddell.", "Alice Liddell", true},
		{"a name with glob characters is taken literally", "hello ex*", "ex*", true},
		{"a glob-like name does not match as a glob", "hello example", "ex*", false},
		{"an empty name never matches", "anything", "", false},
		{"a name next to a non-ASCII letter matches", "éAliceé", "Alice", true},
	}
	cond := Condition{Kind: ConditionContainsDisplayName}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := Context{UserID: alice, DisplayName: tt.displayName}
			if got := bodyEvaluator(t, tt.body).ConditionMatches(cond, ctx); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("an event without a body never matches", func(t *testing.T) {
		ctx := Context{UserID: alice, DisplayName: "Lunch"}
		if eventEvaluator(t, "topic").ConditionMatches(cond, ctx) {
			t.Error("matched an event without content.body")
		}
	})
}

func TestConditionJSONRoundTrips(t *testing.T) {
	tests := []struct {
		name string
		json string
	}{
		{"event_match keeps an empty pattern", `{"kind":"event_match","key":"state_key","pattern":""}`},
		{"event_property_is keeps a null value", `{"kind":"event_property_is","key":"content.x","value":null}`},
		{"event_property_is keeps an integer value", `{"kind":"event_property_is","key":"content.x","value":-9007199254740991}`},
		{"event_property_contains keeps a string value", `{"kind":"event_property_contains","key":"content.m\\.mentions.user_ids","value":"@a:b"}`},
		{"room_member_count keeps is", `{"kind":"room_member_count","is":"<=10"}`},
		{"an unknown condition is kept verbatim", `{"kind":"org.example.future","key":"a","threshold":{"x":[1,2]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Condition
			if err := json.Unmarshal([]byte(tt.json), &c); err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			assertSameJSON(t, got, []byte(tt.json))
		})
	}
}

func TestConditionJSONRejectsWhatCannotBeEvaluated(t *testing.T) {
	tests := []struct {
		name string
		json string
	}{
		{"event_match without a pattern", `{"kind":"event_match","key":"type"}`},
		{"a float value", `{"kind":"event_property_is","key":"a","value":1.5}`},
		{"an integer beyond 2**53-1", `{"kind":"event_property_is","key":"a","value":9007199254740992}`},
		{"an object value", `{"kind":"event_property_is","key":"a","value":{}}`},
		{"an array value", `{"kind":"event_property_contains","key":"a","value":[1]}`},
		{"a pattern that is not a string", `{"kind":"event_match","key":"a","pattern":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Condition
			if err := json.Unmarshal([]byte(tt.json), &c); err == nil {
				t.Errorf("parsed %s as %+v", tt.json, c)
			}
		})
	}
}
