package errcode

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestConstructorsGiveTheSpecStatusAndBody(t *testing.T) {
	tests := []struct {
		name   string
		err    *Error
		status int
		body   string
	}{
		{"forbidden", Forbidden("You are not invited to this room."), 403, `{"errcode":"M_FORBIDDEN","error":"You are not invited to this room."}`},
		{"not found", NotFound("Room not found"), 404, `{"errcode":"M_NOT_FOUND","error":"Room not found"}`},
		{"bad JSON", BadJSON("Missing key: type"), 400, `{"errcode":"M_BAD_JSON","error":"Missing key: type"}`},
		{"not JSON", NotJSON("Content not JSON."), 400, `{"errcode":"M_NOT_JSON","error":"Content not JSON."}`},
		{"missing token", MissingToken("Missing access token"), 401, `{"errcode":"M_MISSING_TOKEN","error":"Missing access token"}`},
		{"unknown token with soft logout", UnknownToken(true), 401, `{"errcode":"M_UNKNOWN_TOKEN","error":"Unrecognised access token","soft_logout":true}`},
		{"unknown token without soft logout", UnknownToken(false), 401, `{"errcode":"M_UNKNOWN_TOKEN","error":"Unrecognised access token","soft_logout":false}`},
		{"a locked user, which the spec soft-logs out", UserLocked("This account has been locked"), 401, `{"errcode":"M_USER_LOCKED","error":"This account has been locked","soft_logout":true}`},
		{"a suspended user", UserSuspended("You cannot perform this action while suspended."), 403, `{"errcode":"M_USER_SUSPENDED","error":"You cannot perform this action while suspended."}`},
		{"rate limited with a delay", LimitExceeded(2000), 429, `{"errcode":"M_LIMIT_EXCEEDED","error":"Too many requests","retry_after_ms":2000}`},
		{"rate limited without a delay", LimitExceeded(0), 429, `{"errcode":"M_LIMIT_EXCEEDED","error":"Too many requests"}`},
		{"an unknown endpoint", Unrecognized("Unrecognized request"), 404, `{"errcode":"M_UNRECOGNIZED","error":"Unrecognized request"}`},
		{"a wrong method", MethodNotAllowed("Method not allowed"), 405, `{"errcode":"M_UNRECOGNIZED","error":"Method not allowed"}`},
		{"an internal failure", Unknown("Internal server error"), 500, `{"errcode":"M_UNKNOWN","error":"Internal server error"}`},
		{"an invalid parameter", InvalidParam("limit must be an integer"), 400, `{"errcode":"M_INVALID_PARAM","error":"limit must be an integer"}`},
		{"a missing parameter", MissingParam("Missing parameter: from"), 400, `{"errcode":"M_MISSING_PARAM","error":"Missing parameter: from"}`},
		{"too large", TooLarge("Event too large"), 413, `{"errcode":"M_TOO_LARGE","error":"Event too large"}`},
		{"an incompatible room version", IncompatibleRoomVersion("42"), 400, `{"errcode":"M_INCOMPATIBLE_ROOM_VERSION","error":"Your homeserver does not support the features required to join this room","room_version":"42"}`},
		{"a resource limit", ResourceLimitExceeded("Monthly active user limit reached", "mailto:admin@example.org"), 403, `{"admin_contact":"mailto:admin@example.org","errcode":"M_RESOURCE_LIMIT_EXCEEDED","error":"Monthly active user limit reached"}`},
		{"the spec's user limit example", UserLimitExceeded("You have exceeded your storage quota of 10GB", "https://example.com/homeserver/about?limit_type=quota", true), 403, `{"can_upgrade":true,"errcode":"M_USER_LIMIT_EXCEEDED","error":"You have exceeded your storage quota of 10GB","info_uri":"https://example.com/homeserver/about?limit_type=quota"}`},
		{"a wrong key backup version", WrongRoomKeysVersion("42"), 403, `{"current_version":"42","errcode":"M_WRONG_ROOM_KEYS_VERSION","error":"Wrong room keys version"}`},
		{"media not yet uploaded", NotYetUploaded("Not uploaded yet"), 504, `{"errcode":"M_NOT_YET_UPLOADED","error":"Not uploaded yet"}`},
		{"media already uploaded", CannotOverwriteMedia("Media already uploaded"), 409, `{"errcode":"M_CANNOT_OVERWRITE_MEDIA","error":"Media already uploaded"}`},
		{"a user ID taken", UserInUse("User ID already taken."), 400, `{"errcode":"M_USER_IN_USE","error":"User ID already taken."}`},
		{"an empty message is still sent", Forbidden(""), 403, `{"errcode":"M_FORBIDDEN","error":""}`},
		{"a custom code", New("COM.EXAMPLE_TEAPOT", "short and stout").WithStatus(418), 418, `{"errcode":"COM.EXAMPLE_TEAPOT","error":"short and stout"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Status(); got != tt.status {
				t.Errorf("Status() = %d; want %d", got, tt.status)
			}
			body, err := json.Marshal(tt.err)
			if err != nil || string(body) != tt.body {
				t.Errorf("json.Marshal = %s, %v; want %s", body, err, tt.body)
			}
		})
	}
}

func TestDefaultStatusOfEveryCode(t *testing.T) {
	tests := []struct {
		code   Code
		status int
	}{
		{CodeForbidden, 403}, {CodeUnknownToken, 401}, {CodeMissingToken, 401}, {CodeUserLocked, 401},
		{CodeUserSuspended, 403}, {CodeBadJSON, 400}, {CodeNotJSON, 400}, {CodeNotFound, 404},
		{CodeLimitExceeded, 429}, {CodeUnrecognized, 404}, {CodeUnknown, 500}, {CodeUnauthorized, 401},
		{CodeUserDeactivated, 403}, {CodeUserInUse, 400}, {CodeInvalidUsername, 400}, {CodeRoomInUse, 400},
		{CodeInvalidRoomState, 400}, {CodeThreePIDInUse, 400}, {CodeThreePIDDenied, 403}, {CodeServerNotTrusted, 400},
		{CodeUnsupportedRoomVersion, 400}, {CodeIncompatibleRoomVersion, 400}, {CodeBadState, 400},
		{CodeGuestAccessForbidden, 403}, {CodeMissingParam, 400}, {CodeInvalidParam, 400}, {CodeTooLarge, 413},
		{CodeExclusive, 400}, {CodeResourceLimitExceeded, 403}, {CodeCannotLeaveServerNoticeRoom, 403},
		{CodeWeakPassword, 400}, {CodeUnableToAuthoriseJoin, 400}, {CodeUnableToGrantJoin, 400},
		{CodeBadAlias, 400}, {CodeDuplicateAnnotation, 400}, {CodeNotYetUploaded, 504},
		{CodeCannotOverwriteMedia, 409}, {CodeWrongRoomKeysVersion, 403}, {CodeInvalidSignature, 400},
		{CodeInviteBlocked, 403}, {CodeUnknownDevice, 400}, {CodeAppservicePingBadStatus, 502},
		{CodeAppservicePingConnTimeout, 504}, {CodeAppservicePingURLNotSet, 400},
		{"COM.EXAMPLE_UNDEFINED", 500},
	}
	for _, tt := range tests {
		t.Run(string(tt.code), func(t *testing.T) {
			if got := tt.code.DefaultStatus(); got != tt.status {
				t.Fatalf("%s.DefaultStatus() = %d; want %d", tt.code, got, tt.status)
			}
		})
	}
}

func TestErrorsIsMatchesByCode(t *testing.T) {
	wrapped := fmt.Errorf("load room: %w", NotFound("Room not found"))
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"a code", wrapped, CodeNotFound, true},
		{"another error with the same code", wrapped, NotFound("other message"), true},
		{"a different status does not matter", wrapped, NotFound("").WithStatus(http.StatusBadRequest), true},
		{"another code", wrapped, CodeForbidden, false},
		{"another error with another code", wrapped, Forbidden("Room not found"), false},
		{"a plain error", errors.New("M_NOT_FOUND"), CodeNotFound, false},
		{"a nil *Error target", wrapped, (*Error)(nil), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(tt.err, tt.target); got != tt.want {
				t.Fatalf("errors.Is(%v, %v) = %v; want %v", tt.err, tt.target, got, tt.want)
			}
		})
	}
	var e *Error
	if !errors.As(wrapped, &e) || e.Status() != 404 {
		t.Fatalf("errors.As found %v", e)
	}
}

func TestExtraCannotReplaceErrcodeOrError(t *testing.T) {
	e := Forbidden("real").With("errcode", "M_FAKE").With("error", "fake").With("reason", 1)
	body, err := json.Marshal(e)
	if want := `{"errcode":"M_FORBIDDEN","error":"real","reason":1}`; err != nil || string(body) != want {
		t.Fatalf("json.Marshal = %s, %v; want %s", body, err, want)
	}
}

func TestWithAndWithStatusCopy(t *testing.T) {
	base := Forbidden("no")
	_ = base.With("k", "v").WithStatus(400)
	if len(base.Extra) != 0 || base.Status() != 403 {
		t.Fatalf("With and WithStatus changed the original: %+v", base)
	}
}

func TestErrorString(t *testing.T) {
	if got := NotFound("Room not found").Error(); got != "M_NOT_FOUND: Room not found" {
		t.Errorf("Error() = %q", got)
	}
	if got := Forbidden("").Error(); got != "M_FORBIDDEN" {
		t.Errorf("Error() = %q", got)
	}
	if got := (&Error{Code: CodeTooLarge}).Status(); got != 413 {
		t.Errorf("Status() with no HTTPStatus = %d; want the default 413", got)
	}
}

func TestUnmarshalJSON(t *testing.T) {
	var e Error
	body := `{"errcode":"M_LIMIT_EXCEEDED","error":"Too many requests","retry_after_ms":2000}`
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatal(err)
	}
	if e.Code != CodeLimitExceeded || e.Message != "Too many requests" {
		t.Fatalf("decoded %+v", e)
	}
	if ms, ok := e.RetryAfterMs(); !ok || ms != 2000 {
		t.Fatalf("RetryAfterMs() = %d, %v; want 2000", ms, ok)
	}
	if ms, ok := LimitExceeded(1500).RetryAfterMs(); !ok || ms != 1500 {
		t.Fatalf("RetryAfterMs() of a built error = %d, %v", ms, ok)
	}
	again, err := json.Marshal(&e)
	if err != nil || string(again) != body {
		t.Fatalf("round trip = %s, %v; want %s", again, err, body)
	}
	for _, bad := range []string{`[]`, `{"error":"no code"}`, `{"errcode":5}`, `{"errcode":"M_X","error":5}`} {
		if err := json.Unmarshal([]byte(bad), &e); !errors.Is(err, ErrMalformedResponse) {
			t.Errorf("json.Unmarshal(%s) = %v; want ErrMalformedResponse", bad, err)
		}
	}
}
