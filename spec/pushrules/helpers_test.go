package pushrules

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

const alice = "@alice:example.org"

// readTestdata returns the bytes of a file under testdata/.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// eventEvaluator builds an evaluator for testdata/events/<name>.json.
func eventEvaluator(t testing.TB, name string) *Evaluator {
	t.Helper()
	e, err := NewEvaluator(readTestdata(t, filepath.Join("events", name+".json")))
	if err != nil {
		t.Fatalf("NewEvaluator(%s): %v", name, err)
	}
	return e
}

// bodyEvaluator builds an evaluator for an m.room.message with the given
// body, for the cases that vary only the text.
func bodyEvaluator(t testing.TB, body string) *Evaluator {
	t.Helper()
	event, err := json.Marshal(map[string]any{
		"type":    "m.room.message",
		"room_id": "!team:example.org",
		"sender":  "@bob:example.org",
		"content": map[string]any{"msgtype": "m.text", "body": body},
	})
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEvaluator(event)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// assertSameJSON fails unless got and want decode to the same value,
// whatever their key order and spacing.
func assertSameJSON(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want is not JSON: %v\n%s", err, want)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON differs\n got: %s\nwant: %s", got, want)
	}
}
