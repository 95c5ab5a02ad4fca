package pushrules

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/spec/pushrules"
	"github.com/ocomms/ocomms/storage"
)

// defaults are the server-default rules of a user, as the current spec
// lists them: since v1.17 without the body-based mention rules. Settings a
// user stored for those rules earlier stay in their row but no longer name
// a rule (pushrules.Merge drops them), so the rules answer 404 and the next
// edit forgets them.
func defaults(userID string) pushrules.Ruleset {
	return pushrules.DefaultRuleset(userID)
}

// merged is the user's effective ruleset given their stored
// customisations ("" when they changed nothing).
func merged(userID, stored string) (pushrules.Ruleset, error) {
	var custom pushrules.Ruleset
	if stored != "" {
		if err := json.Unmarshal([]byte(stored), &custom); err != nil {
			return pushrules.Ruleset{}, fmt.Errorf("stored push rules of %s: %w", userID, err)
		}
	}
	return pushrules.Merge(defaults(userID), custom), nil
}

// ruleset is the user's effective ruleset.
func (p *PushRules) ruleset(ctx context.Context, userID string) (pushrules.Ruleset, error) {
	var stored string
	err := p.db.QueryRow(ctx, `SELECT rules_json FROM clientapi_push_rules WHERE user_id = $1`, userID).Scan(&stored)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return pushrules.Ruleset{}, fmt.Errorf("reading push rules of %s: %w", userID, err)
	}
	return merged(userID, stored)
}

// Rulesets returns the effective ruleset of each user, for the sync API.
func (p *PushRules) Rulesets(ctx context.Context, userIDs []string) (map[string]pushrules.Ruleset, error) {
	stored := make(map[string]string, len(userIDs))
	const perQuery = 500
	for rest := userIDs; len(rest) > 0; {
		batch := rest[:min(perQuery, len(rest))]
		rest = rest[len(batch):]
		marks := make([]string, len(batch))
		args := make([]any, len(batch))
		for i, u := range batch {
			marks[i], args[i] = "$"+strconv.Itoa(i+1), u
		}
		rows, err := p.db.Query(ctx, `SELECT user_id, rules_json FROM clientapi_push_rules WHERE user_id IN (`+
			strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("reading push rules: %w", err)
		}
		for rows.Next() {
			var u, js string
			if err := rows.Scan(&u, &js); err != nil {
				rows.Close()
				return nil, fmt.Errorf("reading push rules: %w", err)
			}
			stored[u] = js
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("reading push rules: %w", err)
		}
	}
	out := make(map[string]pushrules.Ruleset, len(userIDs))
	for _, u := range userIDs {
		rs, err := merged(u, stored[u])
		if err != nil {
			return nil, err
		}
		out[u] = rs
	}
	return out, nil
}

// update applies edit to the user's effective ruleset and stores the
// result, announcing the change, in one transaction. The row is locked
// (by bumping its revision) before it is read, so concurrent edits of one
// user apply one after the other. An edit error changes nothing.
func (p *PushRules) update(ctx context.Context, userID string, edit func(pushrules.Ruleset) (pushrules.Ruleset, error)) error {
	err := p.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO clientapi_push_rules (user_id, rules_json, revision) VALUES ($1, '', 0)
			ON CONFLICT (user_id) DO NOTHING`, userID); err != nil {
			return fmt.Errorf("storing push rules of %s: %w", userID, err)
		}
		var stored string
		var revision int64
		if err := tx.QueryRow(ctx, `UPDATE clientapi_push_rules SET revision = revision + 1 WHERE user_id = $1
			RETURNING rules_json, revision`, userID).Scan(&stored, &revision); err != nil {
			return fmt.Errorf("locking push rules of %s: %w", userID, err)
		}
		current, err := merged(userID, stored)
		if err != nil {
			return err
		}
		next, err := edit(current)
		if err != nil {
			return err
		}
		js, err := json.Marshal(pushrules.Customisations(defaults(userID), next))
		if err != nil {
			return fmt.Errorf("encoding push rules of %s: %w", userID, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE clientapi_push_rules SET rules_json = $1 WHERE user_id = $2`, string(js), userID); err != nil {
			return fmt.Errorf("storing push rules of %s: %w", userID, err)
		}
		return p.outbox.Enqueue(ctx, tx, api.PushRulesChanged{
			Version: api.PushRulesChangedVersion, UserID: userID, Revision: revision,
		})
	})
	if err != nil {
		return err
	}
	p.outbox.Notify()
	return nil
}
