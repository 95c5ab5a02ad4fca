package pushrules

import (
	"errors"
	"net/http"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/pushrules"
)

// Every endpoint is under the "global" scope, the only one the spec
// defines; other scopes are unknown routes (404 M_UNRECOGNIZED).
func (p *PushRules) registerRoutes(routes httpapi.Routes) {
	const rule = "/pushrules/global/{kind}/{ruleId}"
	for _, r := range []struct {
		method, path string
		h            httpapi.AuthedHandlerFunc
	}{
		{http.MethodGet, "/pushrules/", p.getAll},
		{http.MethodGet, "/pushrules/global/", p.getGlobal},
		{http.MethodGet, rule, p.getRule},
		{http.MethodPut, rule, p.putRule},
		{http.MethodDelete, rule, p.deleteRule},
		{http.MethodGet, rule + "/enabled", p.getEnabled},
		{http.MethodPut, rule + "/enabled", p.putEnabled},
		{http.MethodGet, rule + "/actions", p.getActions},
		{http.MethodPut, rule + "/actions", p.putActions},
	} {
		httpapi.HandleClient(routes.Client, r.method, r.path, httpapi.Authenticated(p.authn, noGuests(r.h)), httpapi.ClientR0V3)
	}
}

// noGuests refuses guest accounts, which the spec does not give push rules.
func noGuests(h httpapi.AuthedHandlerFunc) httpapi.AuthedHandlerFunc {
	return func(r *http.Request, dev *httpapi.Device) (any, error) {
		if dev.IsGuest {
			return nil, errcode.GuestAccessForbidden("guest accounts cannot use push rules")
		}
		return h(r, dev)
	}
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3pushrules
func (p *PushRules) getAll(r *http.Request, dev *httpapi.Device) (any, error) {
	rs, err := p.ruleset(r.Context(), dev.UserID)
	if err != nil {
		return nil, err
	}
	return map[string]pushrules.Ruleset{"global": rs}, nil
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3pushrulesglobal
func (p *PushRules) getGlobal(r *http.Request, dev *httpapi.Device) (any, error) {
	return p.ruleset(r.Context(), dev.UserID)
}

// target reads the rule kind and ID of the path.
func target(r *http.Request) (pushrules.Kind, string, error) {
	v := httpapi.Vars(r)
	kind := pushrules.Kind(v["kind"])
	if !kind.Valid() {
		return "", "", errcode.InvalidParam("push rule kind must be override, content, room, sender or underride")
	}
	return kind, v["ruleId"], nil
}

// findRule is the rule the path names, or 404.
func (p *PushRules) findRule(r *http.Request, dev *httpapi.Device) (pushrules.Rule, error) {
	kind, ruleID, err := target(r)
	if err != nil {
		return pushrules.Rule{}, err
	}
	rs, err := p.ruleset(r.Context(), dev.UserID)
	if err != nil {
		return pushrules.Rule{}, err
	}
	rule, ok := rs.Find(kind, ruleID)
	if !ok {
		return pushrules.Rule{}, errcode.NotFound("no such push rule")
	}
	return rule, nil
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3pushrulesglobalkindruleid
func (p *PushRules) getRule(r *http.Request, dev *httpapi.Device) (any, error) {
	return p.findRule(r, dev)
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3pushrulesglobalkindruleidenabled
func (p *PushRules) getEnabled(r *http.Request, dev *httpapi.Device) (any, error) {
	rule, err := p.findRule(r, dev)
	if err != nil {
		return nil, err
	}
	return map[string]bool{"enabled": rule.Enabled}, nil
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3pushrulesglobalkindruleidactions
func (p *PushRules) getActions(r *http.Request, dev *httpapi.Device) (any, error) {
	rule, err := p.findRule(r, dev)
	if err != nil {
		return nil, err
	}
	return map[string]pushrules.Actions{"actions": rule.Actions}, nil
}

type putRuleBody struct {
	Actions    *pushrules.Actions    `json:"actions"`
	Conditions []pushrules.Condition `json:"conditions"`
	Pattern    string                `json:"pattern"`
}

// putRule creates or replaces a user-defined rule, placed by the before
// and after query parameters.
//
// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3pushrulesglobalkindruleid
func (p *PushRules) putRule(r *http.Request, dev *httpapi.Device) (any, error) {
	var body putRuleBody
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	if body.Actions == nil {
		return nil, errcode.MissingParam("missing actions")
	}
	kind, ruleID, err := target(r)
	if err != nil {
		return nil, err
	}
	rule := pushrules.Rule{RuleID: ruleID, Actions: *body.Actions, Conditions: body.Conditions, Pattern: body.Pattern}
	if err := pushrules.ValidateRule(kind, rule); err != nil {
		return nil, editError(err)
	}
	q := r.URL.Query()
	before, after := q.Get("before"), q.Get("after")
	return p.editRule(r, dev, func(rs pushrules.Ruleset, kind pushrules.Kind, _ string) (pushrules.Ruleset, error) {
		next, err := pushrules.Insert(rs, kind, rule, before, after)
		if errors.Is(err, pushrules.ErrRuleNotFound) {
			return rs, errcode.InvalidParam("the before or after rule does not exist")
		}
		return next, err
	})
}

// https://spec.matrix.org/latest/client-server-api/#delete_matrixclientv3pushrulesglobalkindruleid
func (p *PushRules) deleteRule(r *http.Request, dev *httpapi.Device) (any, error) {
	return p.editRule(r, dev, pushrules.Remove)
}

// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3pushrulesglobalkindruleidenabled
func (p *PushRules) putEnabled(r *http.Request, dev *httpapi.Device) (any, error) {
	var body struct {
		Enabled *bool `json:"enabled"`
	}
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	if body.Enabled == nil {
		return nil, errcode.MissingParam("missing enabled")
	}
	return p.editRule(r, dev, func(rs pushrules.Ruleset, kind pushrules.Kind, ruleID string) (pushrules.Ruleset, error) {
		return pushrules.SetEnabled(rs, kind, ruleID, *body.Enabled)
	})
}

// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3pushrulesglobalkindruleidactions
func (p *PushRules) putActions(r *http.Request, dev *httpapi.Device) (any, error) {
	var body struct {
		Actions *pushrules.Actions `json:"actions"`
	}
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	if body.Actions == nil {
		return nil, errcode.MissingParam("missing actions")
	}
	return p.editRule(r, dev, func(rs pushrules.Ruleset, kind pushrules.Kind, ruleID string) (pushrules.Ruleset, error) {
		return pushrules.SetActions(rs, kind, ruleID, *body.Actions)
	})
}

// editRule applies one of spec/pushrules' editing functions to the rule
// the path names and stores the result; the edit sees the user's current
// rules inside the transaction that stores them.
func (p *PushRules) editRule(r *http.Request, dev *httpapi.Device,
	edit func(rs pushrules.Ruleset, kind pushrules.Kind, ruleID string) (pushrules.Ruleset, error)) (any, error) {
	kind, ruleID, err := target(r)
	if err != nil {
		return nil, err
	}
	err = p.update(r.Context(), dev.UserID, func(rs pushrules.Ruleset) (pushrules.Ruleset, error) {
		next, err := edit(rs, kind, ruleID)
		return next, editError(err)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// editError turns an error of the push rule logic into the client's: an
// unknown rule is 404 M_NOT_FOUND, anything the rules refuse 400
// M_INVALID_PARAM.
func editError(err error) error {
	var e *errcode.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &e):
		return err
	case errors.Is(err, pushrules.ErrRuleNotFound):
		return errcode.NotFound("no such push rule")
	case errors.Is(err, pushrules.ErrInvalidKind), errors.Is(err, pushrules.ErrInvalidRuleID),
		errors.Is(err, pushrules.ErrReservedRuleID), errors.Is(err, pushrules.ErrInvalidAction),
		errors.Is(err, pushrules.ErrInvalidCondition), errors.Is(err, pushrules.ErrInvalidValue),
		errors.Is(err, pushrules.ErrInvalidPattern), errors.Is(err, pushrules.ErrServerDefaultRule):
		return errcode.InvalidParam(err.Error())
	}
	return err
}
