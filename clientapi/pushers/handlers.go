package pushers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// Limits the spec puts on pusher identifiers.
const (
	maxAppIDChars     = 64
	maxPushKeyBytes   = 512
	notifyPath        = "/_matrix/push/v1/notify"
	formatEventIDOnly = "event_id_only"
)

type pusherJSON struct {
	PushKey           string          `json:"pushkey"`
	Kind              string          `json:"kind"`
	AppID             string          `json:"app_id"`
	AppDisplayName    string          `json:"app_display_name"`
	DeviceDisplayName string          `json:"device_display_name"`
	ProfileTag        string          `json:"profile_tag,omitempty"`
	Lang              string          `json:"lang"`
	Data              json.RawMessage `json:"data"`
}

// getPushers lists the caller's pushers.
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3pushers
func (p *Pushers) getPushers(r *http.Request, dev *httpapi.Device) (any, error) {
	rows, err := listPushers(r.Context(), p.db, dev.UserID)
	if err != nil {
		return nil, err
	}
	out := make([]pusherJSON, 0, len(rows))
	for _, pr := range rows {
		out = append(out, pusherJSON{PushKey: pr.PushKey, Kind: pr.Kind, AppID: pr.AppID, AppDisplayName: pr.AppDisplayName,
			DeviceDisplayName: pr.DeviceDisplayName, ProfileTag: pr.ProfileTag, Lang: pr.Lang, Data: pr.Data})
	}
	return map[string]any{"pushers": out}, nil
}

type setRequest struct {
	// Kind stays raw to tell null (delete) from a missing kind.
	Kind              json.RawMessage `json:"kind"`
	AppID             *string         `json:"app_id"`
	PushKey           *string         `json:"pushkey"`
	AppDisplayName    *string         `json:"app_display_name"`
	DeviceDisplayName *string         `json:"device_display_name"`
	ProfileTag        string          `json:"profile_tag"`
	Lang              *string         `json:"lang"`
	Data              json.RawMessage `json:"data"`
	Append            bool            `json:"append"`
}

// setPusher creates, replaces or (kind null) deletes a pusher.
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3pushersset
func (p *Pushers) setPusher(r *http.Request, dev *httpapi.Device) (any, error) {
	var req setRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	var missing []string
	for name, v := range map[string]bool{"kind": req.Kind == nil, "app_id": req.AppID == nil, "pushkey": req.PushKey == nil} {
		if v {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, errcode.MissingParam("missing parameters: " + strings.Join(sorted(missing), ", "))
	}
	appID, pushKey := *req.AppID, *req.PushKey
	switch {
	case appID == "" || utf8.RuneCountInString(appID) > maxAppIDChars:
		return nil, errcode.InvalidParam("app_id must be 1 to 64 characters")
	case pushKey == "" || len(pushKey) > maxPushKeyBytes:
		return nil, errcode.InvalidParam("pushkey must be 1 to 512 bytes")
	}
	ctx := r.Context()
	if string(req.Kind) == "null" {
		if err := deletePusher(ctx, p.db, dev.UserID, appID, pushKey); err != nil {
			return nil, err
		}
		return struct{}{}, nil
	}
	var kind string
	if err := json.Unmarshal(req.Kind, &kind); err != nil {
		return nil, errcode.BadJSON("kind must be a string or null")
	}
	row, err := p.validatePusher(kind, &req)
	if err != nil {
		return nil, err
	}
	row.UserID, row.DeviceID, row.AppID, row.PushKey = dev.UserID, dev.DeviceID, appID, pushKey
	row.PushKeyTS = time.Now().Unix()
	err = p.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		return upsertPusher(ctx, tx, row, req.Append)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// validatePusher checks a pusher to create and returns its row without
// the identifying columns.
func (p *Pushers) validatePusher(kind string, req *setRequest) (pusher, error) {
	switch kind {
	case "http":
	case "email":
		// Synapse needs an email sender configured for these; this server
		// sends no email, and accepting the pusher would promise mails.
		return pusher{}, errcode.InvalidParam("email pushers are not supported: this server sends no email")
	default:
		return pusher{}, errcode.InvalidParam("unknown pusher kind " + kind + ": only http is supported")
	}
	var missing []string
	for name, v := range map[string]bool{"app_display_name": req.AppDisplayName == nil, "device_display_name": req.DeviceDisplayName == nil,
		"lang": req.Lang == nil, "data": req.Data == nil || string(req.Data) == "null"} {
		if v {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return pusher{}, errcode.MissingParam("missing parameters: " + strings.Join(sorted(missing), ", "))
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(req.Data, &data); err != nil {
		return pusher{}, errcode.BadJSON("data must be an object")
	}
	var rawURL string
	if u, ok := data["url"]; !ok {
		return pusher{}, errcode.MissingParam("data.url is required for http pushers")
	} else if err := json.Unmarshal(u, &rawURL); err != nil {
		return pusher{}, errcode.InvalidParam("data.url must be a string")
	}
	if err := p.checkGatewayURL(rawURL); err != nil {
		return pusher{}, err
	}
	if f, ok := data["format"]; ok {
		var format string
		if err := json.Unmarshal(f, &format); err != nil {
			return pusher{}, errcode.InvalidParam("data.format must be a string")
		}
	}
	return pusher{Kind: kind, AppDisplayName: *req.AppDisplayName, DeviceDisplayName: *req.DeviceDisplayName,
		ProfileTag: req.ProfileTag, Lang: *req.Lang, Data: req.Data, URL: rawURL}, nil
}

// checkGatewayURL accepts the URL of a push gateway's notify endpoint:
// https (or http when the operator allows it) with the spec's path. Where
// it may connect is checked on every connection (netguard).
func (p *Pushers) checkGatewayURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return errcode.InvalidParam("data.url must be an absolute URL such as https://push.example.org" + notifyPath)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && p.cfg.AllowHTTPGateways:
	default:
		return errcode.InvalidParam("data.url must be an https URL")
	}
	if u.Path != notifyPath {
		return errcode.InvalidParam("data.url must have the path " + notifyPath)
	}
	return nil
}
