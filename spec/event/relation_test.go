package event

import (
	"encoding/json"
	"testing"
)

func TestRelationOfReadsOnlyWellFormedRelationships(t *testing.T) {
	const id = "$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg"
	tests := []struct {
		name    string
		content string
		want    Relation
		ok      bool
	}{
		{"a thread", `{"m.relates_to":{"rel_type":"m.thread","event_id":"` + id + `","is_falling_back":true}}`, Relation{RelType: RelThread, EventID: id}, true},
		{"an annotation with its key", `{"m.relates_to":{"rel_type":"m.annotation","event_id":"` + id + `","key":"👍"}}`, Relation{RelType: RelAnnotation, EventID: id, Key: "👍"}, true},
		{"a custom type", `{"m.relates_to":{"rel_type":"org.example.x","event_id":"$a:example.org"}}`, Relation{RelType: "org.example.x", EventID: "$a:example.org"}, true},
		{"an annotation without a key", `{"m.relates_to":{"rel_type":"m.annotation","event_id":"` + id + `"}}`, Relation{}, false},
		{"a rich reply alone", `{"m.relates_to":{"m.in_reply_to":{"event_id":"` + id + `"}}}`, Relation{}, false},
		{"a non-string rel_type", `{"m.relates_to":{"rel_type":1,"event_id":"` + id + `"}}`, Relation{}, false},
		{"an event_id that is no event ID", `{"m.relates_to":{"rel_type":"m.reference","event_id":"abc"}}`, Relation{}, false},
		{"m.relates_to that is not an object", `{"m.relates_to":"x"}`, Relation{}, false},
		{"no m.relates_to", `{"body":"hi"}`, Relation{}, false},
		{"content that is not JSON", `{`, Relation{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := RelationOf(json.RawMessage(tt.content))
			if got != tt.want || ok != tt.ok {
				t.Errorf("RelationOf(%s) = %+v, %v; want %+v, %v", tt.content, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestHasNewContent(t *testing.T) {
	for content, want := range map[string]bool{
		`{"m.new_content":{"body":"x"}}`: true,
		`{"m.new_content":"x"}`:          false,
		`{"m.new_content":null}`:         false,
		`{"body":"x"}`:                   false,
	} {
		if got := HasNewContent(json.RawMessage(content)); got != want {
			t.Errorf("HasNewContent(%s) = %v, want %v", content, got, want)
		}
	}
}
