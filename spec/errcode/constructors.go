package errcode

import "net/http"

// Forbidden is 403 M_FORBIDDEN.
func Forbidden(msg string) *Error { return New(CodeForbidden, msg) }

// NotFound is 404 M_NOT_FOUND.
func NotFound(msg string) *Error { return New(CodeNotFound, msg) }

// BadJSON is 400 M_BAD_JSON: the body is JSON of the wrong shape.
func BadJSON(msg string) *Error { return New(CodeBadJSON, msg) }

// NotJSON is 400 M_NOT_JSON: the body is not JSON.
func NotJSON(msg string) *Error { return New(CodeNotJSON, msg) }

// MissingToken is 401 M_MISSING_TOKEN.
func MissingToken(msg string) *Error { return New(CodeMissingToken, msg) }

// UnknownToken is 401 M_UNKNOWN_TOKEN. softLogout tells the client that it
// may log in again as the same device (an expired access token) rather
// than start over.
//
// https://spec.matrix.org/latest/client-server-api/#soft-logout
func UnknownToken(softLogout bool) *Error {
	return New(CodeUnknownToken, "Unrecognised access token").With("soft_logout", softLogout)
}

// UserLocked is 401 M_USER_LOCKED with soft_logout true, as the spec
// requires for locked accounts.
//
// https://spec.matrix.org/latest/client-server-api/#account-locking
func UserLocked(msg string) *Error {
	return New(CodeUserLocked, msg).With("soft_logout", true)
}

// UserSuspended is 403 M_USER_SUSPENDED.
//
// https://spec.matrix.org/latest/client-server-api/#account-suspension
func UserSuspended(msg string) *Error { return New(CodeUserSuspended, msg) }

// UserDeactivated is 403 M_USER_DEACTIVATED.
func UserDeactivated(msg string) *Error { return New(CodeUserDeactivated, msg) }

// LimitExceeded is 429 M_LIMIT_EXCEEDED; retryAfterMs, when positive, is
// sent as the deprecated retry_after_ms (the HTTP layer also sets the
// Retry-After header from it).
//
// https://spec.matrix.org/latest/client-server-api/#rate-limiting
func LimitExceeded(retryAfterMs int64) *Error {
	e := New(CodeLimitExceeded, "Too many requests")
	if retryAfterMs > 0 {
		e = e.With("retry_after_ms", retryAfterMs)
	}
	return e
}

// RetryAfterMs is the retry_after_ms of an M_LIMIT_EXCEEDED error, if it
// has one, whether built here or decoded from a response.
func (e *Error) RetryAfterMs() (int64, bool) {
	switch v := e.Extra["retry_after_ms"].(type) {
	case int64:
		return v, true
	case float64:
		return int64(v), true
	}
	return 0, false
}

// Unrecognized is 404 M_UNRECOGNIZED: no such endpoint.
func Unrecognized(msg string) *Error { return New(CodeUnrecognized, msg) }

// MethodNotAllowed is 405 M_UNRECOGNIZED: the endpoint exists, but not
// with this HTTP method.
func MethodNotAllowed(msg string) *Error {
	return New(CodeUnrecognized, msg).WithStatus(http.StatusMethodNotAllowed)
}

// Unknown is 500 M_UNKNOWN, for failures that are not the client's.
func Unknown(msg string) *Error { return New(CodeUnknown, msg) }

// InvalidParam is 400 M_INVALID_PARAM.
func InvalidParam(msg string) *Error { return New(CodeInvalidParam, msg) }

// MissingParam is 400 M_MISSING_PARAM.
func MissingParam(msg string) *Error { return New(CodeMissingParam, msg) }

// TooLarge is 413 M_TOO_LARGE.
func TooLarge(msg string) *Error { return New(CodeTooLarge, msg) }

// Unauthorized is 401 M_UNAUTHORIZED.
func Unauthorized(msg string) *Error { return New(CodeUnauthorized, msg) }

// UserInUse is 400 M_USER_IN_USE.
func UserInUse(msg string) *Error { return New(CodeUserInUse, msg) }

// InvalidUsername is 400 M_INVALID_USERNAME.
func InvalidUsername(msg string) *Error { return New(CodeInvalidUsername, msg) }

// WeakPassword is 400 M_WEAK_PASSWORD.
func WeakPassword(msg string) *Error { return New(CodeWeakPassword, msg) }

// RoomInUse is 400 M_ROOM_IN_USE.
func RoomInUse(msg string) *Error { return New(CodeRoomInUse, msg) }

// InvalidRoomState is 400 M_INVALID_ROOM_STATE.
func InvalidRoomState(msg string) *Error { return New(CodeInvalidRoomState, msg) }

// BadState is 400 M_BAD_STATE.
func BadState(msg string) *Error { return New(CodeBadState, msg) }

// BadAlias is 400 M_BAD_ALIAS.
func BadAlias(msg string) *Error { return New(CodeBadAlias, msg) }

// Exclusive is 400 M_EXCLUSIVE.
func Exclusive(msg string) *Error { return New(CodeExclusive, msg) }

// GuestAccessForbidden is 403 M_GUEST_ACCESS_FORBIDDEN.
func GuestAccessForbidden(msg string) *Error { return New(CodeGuestAccessForbidden, msg) }

// UnsupportedRoomVersion is 400 M_UNSUPPORTED_ROOM_VERSION.
func UnsupportedRoomVersion(msg string) *Error { return New(CodeUnsupportedRoomVersion, msg) }

// IncompatibleRoomVersion is 400 M_INCOMPATIBLE_ROOM_VERSION with the
// room's version in room_version.
func IncompatibleRoomVersion(roomVersion string) *Error {
	return New(CodeIncompatibleRoomVersion, "Your homeserver does not support the features required to join this room").
		With("room_version", roomVersion)
}

// UnableToAuthoriseJoin is 400 M_UNABLE_TO_AUTHORISE_JOIN.
func UnableToAuthoriseJoin(msg string) *Error { return New(CodeUnableToAuthoriseJoin, msg) }

// UnableToGrantJoin is 400 M_UNABLE_TO_GRANT_JOIN.
func UnableToGrantJoin(msg string) *Error { return New(CodeUnableToGrantJoin, msg) }

// ResourceLimitExceeded is 403 M_RESOURCE_LIMIT_EXCEEDED with the
// admin_contact the spec requires (a URI, such as mailto:).
func ResourceLimitExceeded(msg, adminContact string) *Error {
	return New(CodeResourceLimitExceeded, msg).With("admin_contact", adminContact)
}

// UserLimitExceeded is M_USER_LIMIT_EXCEEDED with the required info_uri
// and can_upgrade. Its status depends on the endpoint; 403 by default.
func UserLimitExceeded(msg, infoURI string, canUpgrade bool) *Error {
	return New(CodeUserLimitExceeded, msg).With("info_uri", infoURI).With("can_upgrade", canUpgrade)
}

// CannotLeaveServerNoticeRoom is 403 M_CANNOT_LEAVE_SERVER_NOTICE_ROOM.
func CannotLeaveServerNoticeRoom(msg string) *Error {
	return New(CodeCannotLeaveServerNoticeRoom, msg)
}

// NotYetUploaded is 504 M_NOT_YET_UPLOADED.
func NotYetUploaded(msg string) *Error { return New(CodeNotYetUploaded, msg) }

// CannotOverwriteMedia is 409 M_CANNOT_OVERWRITE_MEDIA.
func CannotOverwriteMedia(msg string) *Error { return New(CodeCannotOverwriteMedia, msg) }

// WrongRoomKeysVersion is 403 M_WRONG_ROOM_KEYS_VERSION with the current
// backup version in current_version.
func WrongRoomKeysVersion(currentVersion string) *Error {
	return New(CodeWrongRoomKeysVersion, "Wrong room keys version").With("current_version", currentVersion)
}

// DuplicateAnnotation is 400 M_DUPLICATE_ANNOTATION.
func DuplicateAnnotation(msg string) *Error { return New(CodeDuplicateAnnotation, msg) }

// InviteBlocked is 403 M_INVITE_BLOCKED.
func InviteBlocked(msg string) *Error { return New(CodeInviteBlocked, msg) }

// ThreePIDInUse is 400 M_THREEPID_IN_USE.
func ThreePIDInUse(msg string) *Error { return New(CodeThreePIDInUse, msg) }

// ThreePIDNotFound is 400 M_THREEPID_NOT_FOUND.
func ThreePIDNotFound(msg string) *Error { return New(CodeThreePIDNotFound, msg) }

// ThreePIDDenied is 403 M_THREEPID_DENIED.
func ThreePIDDenied(msg string) *Error { return New(CodeThreePIDDenied, msg) }

// ThreePIDAuthFailed is 403 M_THREEPID_AUTH_FAILED.
func ThreePIDAuthFailed(msg string) *Error { return New(CodeThreePIDAuthFailed, msg) }

// ThreePIDMediumNotSupported is 400 M_THREEPID_MEDIUM_NOT_SUPPORTED.
func ThreePIDMediumNotSupported(msg string) *Error {
	return New(CodeThreePIDMediumNotSupported, msg)
}

// ServerNotTrusted is 400 M_SERVER_NOT_TRUSTED.
func ServerNotTrusted(msg string) *Error { return New(CodeServerNotTrusted, msg) }

// CaptchaNeeded is 400 M_CAPTCHA_NEEDED.
func CaptchaNeeded(msg string) *Error { return New(CodeCaptchaNeeded, msg) }

// CaptchaInvalid is 400 M_CAPTCHA_INVALID.
func CaptchaInvalid(msg string) *Error { return New(CodeCaptchaInvalid, msg) }

// InvalidSignature is 400 M_INVALID_SIGNATURE.
func InvalidSignature(msg string) *Error { return New(CodeInvalidSignature, msg) }

// UnknownDevice is 400 M_UNKNOWN_DEVICE.
func UnknownDevice(msg string) *Error { return New(CodeUnknownDevice, msg) }

// UnknownPos is 400 M_UNKNOWN_POS.
func UnknownPos(msg string) *Error { return New(CodeUnknownPos, msg) }
