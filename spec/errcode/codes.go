// Package errcode is the Matrix standard error response: the spec's error
// codes as typed values, and an error type that marshals to
// {"errcode": ..., "error": ...} with the HTTP status the spec assigns.
//
// https://spec.matrix.org/latest/client-server-api/#standard-error-response
package errcode

import "net/http"

// Code is an errcode: "M_" and an upper-case name for codes the spec
// defines, a namespaced prefix for others (COM.EXAMPLE_FORBIDDEN).
// A Code is itself an error so that errors.Is(err, CodeForbidden) asks
// whether err is a standard error response with that code.
type Code string

func (c Code) Error() string { return string(c) }

// Codes any endpoint may return.
// https://spec.matrix.org/latest/client-server-api/#common-error-codes
const (
	CodeBadJSON               Code = "M_BAD_JSON"                // valid JSON, but malformed: missing keys, wrong values
	CodeForbidden             Code = "M_FORBIDDEN"               // no permission, or a failed login
	CodeLimitExceeded         Code = "M_LIMIT_EXCEEDED"          // rate limited
	CodeMissingToken          Code = "M_MISSING_TOKEN"           // no access token given
	CodeNotFound              Code = "M_NOT_FOUND"               // no such resource
	CodeNotJSON               Code = "M_NOT_JSON"                // the body is not JSON
	CodeResourceLimitExceeded Code = "M_RESOURCE_LIMIT_EXCEEDED" // the homeserver reached a resource limit; carries admin_contact
	CodeUnknown               Code = "M_UNKNOWN"                 // anything else; clients look at the HTTP status
	CodeUnknownDevice         Code = "M_UNKNOWN_DEVICE"          // an application service asserted a device the user does not have
	CodeUnknownToken          Code = "M_UNKNOWN_TOKEN"           // the access or refresh token is not recognised; may carry soft_logout
	CodeUnrecognized          Code = "M_UNRECOGNIZED"            // endpoint not implemented (404) or wrong method (405)
	CodeUserLimitExceeded     Code = "M_USER_LIMIT_EXCEEDED"     // the user hit a limit of their account; carries info_uri
	CodeUserLocked            Code = "M_USER_LOCKED"             // the account is locked
	CodeUserSuspended         Code = "M_USER_SUSPENDED"          // the account is suspended
)

// Codes specific to some endpoints of the client-server API.
// https://spec.matrix.org/latest/client-server-api/#other-error-codes
const (
	CodeAppserviceLoginUnsupported  Code = "M_APPSERVICE_LOGIN_UNSUPPORTED"    // m.login.application_service is not supported
	CodeBadAlias                    Code = "M_BAD_ALIAS"                       // an alias in m.room.canonical_alias does not point to the room
	CodeBadState                    Code = "M_BAD_STATE"                       // the state change is impossible, e.g. unbanning who is not banned
	CodeCannotLeaveServerNoticeRoom Code = "M_CANNOT_LEAVE_SERVER_NOTICE_ROOM" // the server notices room cannot be left
	CodeCannotOverwriteMedia        Code = "M_CANNOT_OVERWRITE_MEDIA"          // an asynchronously created media ID was already uploaded to
	CodeCaptchaInvalid              Code = "M_CAPTCHA_INVALID"                 // the captcha response is wrong
	CodeCaptchaNeeded               Code = "M_CAPTCHA_NEEDED"                  // a captcha is required
	CodeDuplicateAnnotation         Code = "M_DUPLICATE_ANNOTATION"            // the user already sent this reaction
	CodeExclusive                   Code = "M_EXCLUSIVE"                       // the resource is reserved by an application service
	CodeGuestAccessForbidden        Code = "M_GUEST_ACCESS_FORBIDDEN"          // guests may not access the room or resource
	CodeIncompatibleRoomVersion     Code = "M_INCOMPATIBLE_ROOM_VERSION"       // the room's version is unsupported; carries room_version
	CodeInvalidParam                Code = "M_INVALID_PARAM"                   // a parameter has a wrong value
	CodeInvalidRoomState            Code = "M_INVALID_ROOM_STATE"              // createRoom's initial state is invalid
	CodeInvalidSignature            Code = "M_INVALID_SIGNATURE"               // an uploaded cross-signing signature is invalid
	CodeInvalidUsername             Code = "M_INVALID_USERNAME"                // the user ID to register is not valid
	CodeInviteBlocked               Code = "M_INVITE_BLOCKED"                  // the invitee does not accept invites from this user
	CodeKeyTooLarge                 Code = "M_KEY_TOO_LARGE"                   // a profile field name is too long
	CodeMissingParam                Code = "M_MISSING_PARAM"                   // a required parameter is missing
	CodeNotYetUploaded              Code = "M_NOT_YET_UPLOADED"                // the media ID exists but its content is not uploaded yet
	CodeProfileTooLarge             Code = "M_PROFILE_TOO_LARGE"               // the profile would exceed its size limit
	CodeRoomInUse                   Code = "M_ROOM_IN_USE"                     // createRoom's alias is taken
	CodeServerNotTrusted            Code = "M_SERVER_NOT_TRUSTED"              // a third-party server (identity server) is not trusted
	CodeThreePIDAuthFailed          Code = "M_THREEPID_AUTH_FAILED"            // the third-party identifier could not be authenticated
	CodeThreePIDDenied              Code = "M_THREEPID_DENIED"                 // the server does not permit this third-party identifier
	CodeThreePIDInUse               Code = "M_THREEPID_IN_USE"                 // the third-party identifier is already in use
	CodeThreePIDMediumNotSupported  Code = "M_THREEPID_MEDIUM_NOT_SUPPORTED"   // the medium (email, msisdn) is not supported
	CodeThreePIDNotFound            Code = "M_THREEPID_NOT_FOUND"              // no record of the third-party identifier
	CodeTooLarge                    Code = "M_TOO_LARGE"                       // the request or entity is too large
	CodeUnableToAuthoriseJoin       Code = "M_UNABLE_TO_AUTHORISE_JOIN"        // a restricted join's conditions cannot be checked
	CodeUnableToGrantJoin           Code = "M_UNABLE_TO_GRANT_JOIN"            // no joined user here can authorise a restricted join
	CodeUnauthorized                Code = "M_UNAUTHORIZED"                    // the request was not correctly authorised
	CodeUnsupportedRoomVersion      Code = "M_UNSUPPORTED_ROOM_VERSION"        // createRoom asked for an unsupported room version
	CodeUserDeactivated             Code = "M_USER_DEACTIVATED"                // the user is deactivated
	CodeUserInUse                   Code = "M_USER_IN_USE"                     // the user ID to register is taken
	CodeWeakPassword                Code = "M_WEAK_PASSWORD"                   // the password is too weak
	CodeWrongRoomKeysVersion        Code = "M_WRONG_ROOM_KEYS_VERSION"         // not the current key backup version; carries current_version
	CodeAppservicePingBadStatus     Code = "M_BAD_STATUS"                      // /appservice/ping: the application service answered with an error
	CodeAppservicePingConnFailed    Code = "M_CONNECTION_FAILED"               // /appservice/ping: the application service is unreachable
	CodeAppservicePingConnTimeout   Code = "M_CONNECTION_TIMEOUT"              // /appservice/ping: the application service did not answer in time
	CodeAppservicePingURLNotSet     Code = "M_URL_NOT_SET"                     // /appservice/ping: the registration has no url
	CodeUnknownPos                  Code = "M_UNKNOWN_POS"                     // simplified sliding sync (MSC4186): the pos token expired
	CodeIdentityInvalidAddress      Code = "M_INVALID_ADDRESS"                 // identity service: an invite address is not valid
	CodeIdentityInvalidEmail        Code = "M_INVALID_EMAIL"                   // identity service: the email address is not valid
	CodeIdentityEmailSendError      Code = "M_EMAIL_SEND_ERROR"                // identity service: the email could not be sent
	CodeIdentitySendError           Code = "M_SEND_ERROR"                      // identity service: the SMS could not be sent
	CodeIdentitySessionExpired      Code = "M_SESSION_EXPIRED"                 // identity service: the validation session expired
	CodeIdentitySessionNotValidated Code = "M_SESSION_NOT_VALIDATED"           // identity service: the session is not validated yet
	CodeIdentityNoValidSession      Code = "M_NO_VALID_SESSION"                // identity service: no validated session for the 3PID
	CodeIdentityTermsNotSigned      Code = "M_TERMS_NOT_SIGNED"                // identity service: the user has not accepted the terms
	CodeIdentityTokenIncorrect      Code = "M_TOKEN_INCORRECT"                 // identity service: the validation token is wrong
	CodeIdentityMissingParams       Code = "M_MISSING_PARAMS"                  // identity service: parameters are missing
)

// DefaultStatus is the HTTP status the spec gives the code, or the one
// Synapse uses where the spec leaves it to the endpoint. Unknown codes
// (including M_UNKNOWN) default to 500, since a client cannot be blamed
// for them.
func (c Code) DefaultStatus() int {
	switch c {
	case CodeBadJSON, CodeNotJSON, CodeMissingParam, CodeInvalidParam, CodeBadState, CodeBadAlias,
		CodeUserInUse, CodeInvalidUsername, CodeRoomInUse, CodeInvalidRoomState, CodeExclusive,
		CodeUnsupportedRoomVersion, CodeIncompatibleRoomVersion, CodeUnableToAuthoriseJoin,
		CodeUnableToGrantJoin, CodeServerNotTrusted, CodeThreePIDInUse, CodeThreePIDNotFound,
		CodeThreePIDMediumNotSupported, CodeCaptchaNeeded, CodeCaptchaInvalid, CodeWeakPassword,
		CodeInvalidSignature, CodeDuplicateAnnotation, CodeKeyTooLarge, CodeProfileTooLarge,
		CodeAppserviceLoginUnsupported, CodeUnknownDevice, CodeAppservicePingURLNotSet, CodeUnknownPos,
		CodeIdentityInvalidAddress, CodeIdentityInvalidEmail, CodeIdentitySessionExpired,
		CodeIdentitySessionNotValidated, CodeIdentityNoValidSession, CodeIdentityTokenIncorrect,
		CodeIdentityMissingParams:
		return http.StatusBadRequest
	case CodeMissingToken, CodeUnknownToken, CodeUserLocked, CodeUnauthorized:
		return http.StatusUnauthorized
	case CodeForbidden, CodeGuestAccessForbidden, CodeUserDeactivated, CodeUserSuspended,
		CodeThreePIDDenied, CodeThreePIDAuthFailed, CodeCannotLeaveServerNoticeRoom,
		CodeResourceLimitExceeded, CodeUserLimitExceeded, CodeWrongRoomKeysVersion,
		CodeInviteBlocked, CodeIdentityTermsNotSigned:
		return http.StatusForbidden
	case CodeNotFound, CodeUnrecognized:
		return http.StatusNotFound
	case CodeCannotOverwriteMedia:
		return http.StatusConflict
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeLimitExceeded:
		return http.StatusTooManyRequests
	case CodeAppservicePingBadStatus, CodeAppservicePingConnFailed:
		return http.StatusBadGateway
	case CodeNotYetUploaded, CodeAppservicePingConnTimeout:
		return http.StatusGatewayTimeout
	default:
		return http.StatusInternalServerError
	}
}
