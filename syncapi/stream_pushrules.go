package syncapi

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ocomms/ocomms/spec/pushrules"
)

// pushRulesSection puts the user's push rules, as the m.push_rules global
// account data event, in the top-level account_data of an initial sync
// and of every sync after they changed. It rides on the account data
// stream; other account data has a section of its own.
//
// https://spec.matrix.org/latest/client-server-api/#push-rules
func (s *SyncAPI) pushRulesSection() section {
	return section{
		name:       streamAccountData,
		position:   func(t *syncToken) *int64 { return &t.AccountData },
		add:        s.addPushRules,
		onFullSync: true,
	}
}

func (s *SyncAPI) addPushRules(ctx context.Context, sc *syncContext, from, to int64) error {
	userID := sc.req.device.UserID
	if !sc.req.filter.AccountData.matches("m.push_rules", userID) {
		return nil
	}
	if !sc.full {
		if from >= to {
			return nil // only newly joined rooms: nothing of the user's
		}
		var pos int64
		err := s.db.QueryRow(ctx, `SELECT stream_pos FROM syncapi_push_rules WHERE user_id = $1`, userID).Scan(&pos)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (pos <= from || pos > to)) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the push rules position of %s: %w", userID, err)
		}
	}
	rulesets, err := s.rulesets(ctx, []string{userID})
	if err != nil {
		return err
	}
	ev, err := json.Marshal(struct {
		Type    string                       `json:"type"`
		Content map[string]pushrules.Ruleset `json:"content"`
	}{"m.push_rules", map[string]pushrules.Ruleset{"global": rulesets[userID]}})
	if err != nil {
		return fmt.Errorf("encoding m.push_rules: %w", err)
	}
	sc.resp.AccountData.Events = append(sc.resp.AccountData.Events, ev)
	return nil
}
