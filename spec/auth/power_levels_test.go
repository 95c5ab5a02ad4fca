package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestParsePowerLevelsValues runs the value vectors of
// testdata/power_level_values.json through every level of the content:
// top-level, events, notifications and users.
func TestParsePowerLevelsValues(t *testing.T) {
	data, err := os.ReadFile("testdata/power_level_values.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct {
		Name     string          `json:"name"`
		Versions string          `json:"versions"`
		Value    json.RawMessage `json:"value"`
		Want     *int64          `json:"want"`
	}
	if err := json.Unmarshal(data, &vectors); err != nil {
		t.Fatal(err)
	}
	for _, vec := range vectors {
		for _, v := range versionRange(t, strings.TrimSpace(vec.Versions)) {
			rules := mustRules(t, v)
			for _, place := range []string{"ban", "events", "notifications", "users"} {
				t.Run(fmt.Sprintf("v%s/%s in %s", v, vec.Name, place), func(t *testing.T) {
					var content string
					var read func(PowerLevels) int64
					switch place {
					case "ban":
						content, read = `{"ban":`+string(vec.Value)+`}`, PowerLevels.Ban
					case "events":
						content = `{"events":{"m.room.name":` + string(vec.Value) + `}}`
						read = func(pl PowerLevels) int64 { return pl.EventLevel("m.room.name", true) }
					case "notifications":
						content = `{"notifications":{"room":` + string(vec.Value) + `}}`
						read = func(pl PowerLevels) int64 { return pl.Notification("room") }
					case "users":
						content = `{"users":{"@u:a.example":` + string(vec.Value) + `}}`
						read = func(pl PowerLevels) int64 { return pl.UserLevel("@u:a.example") }
					}
					pl, err := ParsePowerLevels(rules, json.RawMessage(content))
					if place == "notifications" && !rules.NotificationsPowerLevels && vec.Want == nil {
						// Versions 1-5 never compare notifications, so a
						// malformed entry is left out and the default applies.
						if err != nil || read(pl) != defaultNotificationLevel {
							t.Fatalf("want the default, got %d, %v", read(pl), err)
						}
						return
					}
					if vec.Want == nil {
						if !errors.Is(err, ErrInvalidPowerLevels) {
							t.Fatalf("want ErrInvalidPowerLevels, got %d, %v", read(pl), err)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					if got := read(pl); got != *vec.Want {
						t.Fatalf("got %d, want %d", got, *vec.Want)
					}
				})
			}
		}
	}
}

func TestParsePowerLevelsDefaults(t *testing.T) {
	pl, err := ParsePowerLevels(mustRules(t, "11"), json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	got := []int64{pl.Ban(), pl.Kick(), pl.Redact(), pl.Invite(), pl.UsersDefault(), pl.EventsDefault(), pl.StateDefault(),
		pl.EventLevel("m.room.message", false), pl.EventLevel("m.room.name", true), pl.Notification("room"), pl.UserLevel(alice)}
	want := []int64{50, 50, 50, 0, 0, 0, 50, 0, 50, 50, 0}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestParsePowerLevelsReadsRealisticContent(t *testing.T) {
	data, err := os.ReadFile("testdata/power_levels.json")
	if err != nil {
		t.Fatal(err)
	}
	pl, err := ParsePowerLevels(mustRules(t, "10"), data)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want int64
	}{
		{"a listed user has their level", pl.UserLevel("@admin:example.org"), 100},
		{"an unlisted user has users_default", pl.UserLevel("@nobody:example.org"), 0},
		{"a listed state event has its level", pl.EventLevel("m.room.tombstone", true), 150},
		{"an unlisted state event has state_default", pl.EventLevel("org.example.state", true), 50},
		{"an unlisted message event has events_default", pl.EventLevel("org.example.message", false), 0},
		{"a listed message event has its level", pl.EventLevel("m.reaction", false), 10},
		{"the room notification level is read", pl.Notification("room"), 50},
		{"the invite level is read", pl.Invite(), 0},
		{"the redact level is read", pl.Redact(), 50},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, c.got, c.want)
		}
	}
	if u := pl.Users(); len(u) != 3 {
		t.Errorf("want 3 users, got %v", u)
	}
	if e := pl.Events(); len(e) != 9 {
		t.Errorf("want 9 events entries, got %v", e)
	}
}

func TestParsePowerLevelsRejectsContentThatIsNotAnObject(t *testing.T) {
	for _, content := range []string{`null`, `[]`, `"x"`, `{`} {
		if _, err := ParsePowerLevels(mustRules(t, "1"), json.RawMessage(content)); !errors.Is(err, ErrInvalidPowerLevels) {
			t.Errorf("%s: want ErrInvalidPowerLevels, got %v", content, err)
		}
	}
}
