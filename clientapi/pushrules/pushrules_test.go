package pushrules_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

const base = "/_matrix/client/v3/pushrules/global/"

func rulePath(kind, ruleID string) string { return base + kind + "/" + url.PathEscape(ruleID) }

// ruleIDs lists the IDs of one kind in GET /pushrules/ order.
func ruleIDs(t *testing.T, c *testserver.Client, kind string) []string {
	t.Helper()
	res := c.MustDo(t, http.MethodGet, "/_matrix/client/v3/pushrules/", nil, http.StatusOK)
	global, _ := res["global"].(map[string]any)
	rules, _ := global[kind].([]any)
	var out []string
	for _, r := range rules {
		id, _ := r.(map[string]any)["rule_id"].(string)
		out = append(out, id)
	}
	return out
}

func userRules(ids []string) []string {
	var out []string
	for _, id := range ids {
		if id[0] != '.' {
			out = append(out, id)
		}
	}
	return out
}

func TestPushRulesDefaultsAndCRUD(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		alice := srv.NewUser(t, "alice")

		global := alice.MustDo(t, http.MethodGet, base, nil, http.StatusOK)
		for _, kind := range []string{"override", "content", "room", "sender", "underride"} {
			if _, ok := global[kind].([]any); !ok {
				t.Errorf("GET /pushrules/global/ lacks the %s array: %v", kind, global)
			}
		}
		if ids := ruleIDs(t, alice, "override"); len(ids) == 0 || ids[0] != ".m.rule.master" {
			t.Fatalf("override rules = %v, want .m.rule.master first", ids)
		}

		put := func(ruleID, query string, wantStatus int) {
			t.Helper()
			alice.MustDo(t, http.MethodPut, rulePath("content", ruleID)+query, map[string]any{
				"pattern": ruleID, "actions": []any{"notify", map[string]any{"set_tweak": "highlight"}},
			}, wantStatus)
		}
		put("cake", "", http.StatusOK)
		put("pie", "", http.StatusOK)                       // a new rule goes first
		put("tart", "?after=cake", http.StatusOK)           // after cake
		put("scone", "?before=pie", http.StatusOK)          // before pie
		put("bun", "?before=cake&after=pie", http.StatusOK) // before wins
		want := []string{"scone", "pie", "bun", "cake", "tart"}
		if got := userRules(ruleIDs(t, alice, "content")); !slices.Equal(got, want) {
			t.Fatalf("content rules = %v, want %v", got, want)
		}

		rule := alice.MustDo(t, http.MethodGet, rulePath("content", "cake"), nil, http.StatusOK)
		if rule["pattern"] != "cake" || rule["enabled"] != true || rule["default"] != false {
			t.Errorf("GET cake = %v", rule)
		}

		// enabled and actions, of user and default rules.
		alice.MustDo(t, http.MethodPut, rulePath("content", "cake")+"/enabled", map[string]any{"enabled": false}, http.StatusOK)
		if res := alice.MustDo(t, http.MethodGet, rulePath("content", "cake")+"/enabled", nil, http.StatusOK); res["enabled"] != false {
			t.Errorf("enabled after disabling = %v", res)
		}
		alice.MustDo(t, http.MethodPut, rulePath("override", ".m.rule.master")+"/enabled", map[string]any{"enabled": true}, http.StatusOK)
		if res := alice.MustDo(t, http.MethodGet, rulePath("override", ".m.rule.master")+"/enabled", nil, http.StatusOK); res["enabled"] != true {
			t.Errorf("master enabled = %v", res)
		}
		alice.MustDo(t, http.MethodPut, rulePath("underride", ".m.rule.message")+"/actions", map[string]any{"actions": []any{}}, http.StatusOK)
		res := alice.MustDo(t, http.MethodGet, rulePath("underride", ".m.rule.message")+"/actions", nil, http.StatusOK)
		if acts, ok := res["actions"].([]any); !ok || len(acts) != 0 {
			t.Errorf(".m.rule.message actions = %v, want []", res)
		}
		// Updating a rule keeps its place and its enabled flag.
		put("cake", "", http.StatusOK)
		if got := userRules(ruleIDs(t, alice, "content")); !slices.Equal(got, want) {
			t.Errorf("content rules after updating cake = %v, want %v", got, want)
		}
		if res := alice.MustDo(t, http.MethodGet, rulePath("content", "cake")+"/enabled", nil, http.StatusOK); res["enabled"] != false {
			t.Errorf("updating cake enabled it again: %v", res)
		}

		alice.MustDo(t, http.MethodDelete, rulePath("content", "cake"), nil, http.StatusOK)
		resp := alice.Do(t, http.MethodGet, rulePath("content", "cake"), nil)
		if resp.Status != http.StatusNotFound || resp.Errcode() != "M_NOT_FOUND" {
			t.Errorf("GET of a deleted rule: %d %s", resp.Status, resp.Body)
		}

		// Another user has only the defaults.
		bob := srv.NewUser(t, "bob")
		if got := userRules(ruleIDs(t, bob, "content")); len(got) != 0 {
			t.Errorf("bob's content rules = %v, want none", got)
		}
	})
}

func TestPushRulesErrors(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		alice := srv.NewUser(t, "alice")
		alice.MustDo(t, http.MethodPut, rulePath("content", "cake"), map[string]any{"pattern": "cake", "actions": []any{"notify"}}, http.StatusOK)
		notify := map[string]any{"actions": []any{"notify"}}
		for _, tt := range []struct {
			name, method, path string
			body               any
			wantStatus         int
			wantCode           string
		}{
			{"GET of an unknown rule", "GET", rulePath("override", "nope"), nil, 404, "M_NOT_FOUND"},
			{"DELETE of an unknown rule", "DELETE", rulePath("override", "nope"), nil, 404, "M_NOT_FOUND"},
			{"enabled of an unknown rule", "PUT", rulePath("override", "nope") + "/enabled", map[string]any{"enabled": true}, 404, "M_NOT_FOUND"},
			{"actions of an unknown rule", "PUT", rulePath("override", "nope") + "/actions", notify, 404, "M_NOT_FOUND"},
			{"an unknown kind", "GET", rulePath("weird", "x"), nil, 400, "M_INVALID_PARAM"},
			{"a scope other than global", "GET", "/_matrix/client/v3/pushrules/device/override/x", nil, 404, "M_UNRECOGNIZED"},
			{"deleting a server-default rule", "DELETE", rulePath("override", ".m.rule.master"), nil, 400, "M_INVALID_PARAM"},
			{"creating a rule in the default namespace", "PUT", rulePath("override", ".mine"), notify, 400, "M_INVALID_PARAM"},
			{"a content rule without a pattern", "PUT", rulePath("content", "x"), notify, 400, "M_INVALID_PARAM"},
			{"a rule without actions", "PUT", rulePath("content", "x"), map[string]any{"pattern": "x"}, 400, "M_MISSING_PARAM"},
			{"an unknown action", "PUT", rulePath("override", "x"), map[string]any{"actions": []any{"explode"}}, 400, "M_INVALID_PARAM"},
			{"a room rule not named by a room ID", "PUT", rulePath("room", "x"), notify, 400, "M_INVALID_PARAM"},
			{"before a rule that does not exist", "PUT", rulePath("content", "y") + "?before=nope", map[string]any{"pattern": "y", "actions": []any{"notify"}}, 400, "M_INVALID_PARAM"},
			{"after a server-default rule", "PUT", rulePath("override", "y") + "?after=.m.rule.master", notify, 400, "M_INVALID_PARAM"},
			{"enabled without a value", "PUT", rulePath("content", "cake") + "/enabled", map[string]any{}, 400, "M_MISSING_PARAM"},
			{"enabled that is not a boolean", "PUT", rulePath("content", "cake") + "/enabled", map[string]any{"enabled": "yes"}, 400, "M_BAD_JSON"},
			{"a body that is not JSON", "PUT", rulePath("content", "cake") + "/actions", "{", 400, "M_NOT_JSON"},
			{"GET of .m.rule.contains_display_name, removed in v1.17", "GET", rulePath("override", ".m.rule.contains_display_name"), nil, 404, "M_NOT_FOUND"},
			{"GET of .m.rule.roomnotif, removed in v1.17", "GET", rulePath("override", ".m.rule.roomnotif"), nil, 404, "M_NOT_FOUND"},
			{"GET of .m.rule.contains_user_name, removed in v1.17", "GET", rulePath("content", ".m.rule.contains_user_name"), nil, 404, "M_NOT_FOUND"},
			{"enabling a removed default rule", "PUT", rulePath("override", ".m.rule.roomnotif") + "/enabled", map[string]any{"enabled": true}, 404, "M_NOT_FOUND"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				resp := alice.Do(t, tt.method, tt.path, tt.body)
				if resp.Status != tt.wantStatus || resp.Errcode() != tt.wantCode {
					t.Errorf("got %d %s (%s), want %d %s", resp.Status, resp.Errcode(), resp.Body, tt.wantStatus, tt.wantCode)
				}
			})
		}
	})
}
