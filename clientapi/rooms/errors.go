package rooms

import (
	"errors"

	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/event"
)

// submitError turns a roomserver error into the spec's error for a client:
// an event the auth rules reject is 403 M_FORBIDDEN, an event over the PDU
// size limit 413 M_TOO_LARGE, content no event may carry 400 M_BAD_JSON, an
// unknown room 404 M_NOT_FOUND. Anything else stays an internal error.
//
// https://spec.matrix.org/latest/client-server-api/#standard-error-response
func submitError(err error) error {
	if err == nil {
		return nil
	}
	var e *errcode.Error
	switch {
	case errors.As(err, &e):
		return err
	case errors.Is(err, auth.ErrInvalidPowerLevels):
		return errors.Join(errcode.BadJSON("invalid m.room.power_levels content: "+reason(err)), err)
	case errors.Is(err, auth.ErrNotAllowed):
		return errors.Join(errcode.Forbidden(reason(err)), err)
	case errors.Is(err, api.ErrUnsupportedRoomVersion):
		return errors.Join(errcode.UnsupportedRoomVersion("this server does not support that room version"), err)
	case errors.Is(err, event.ErrEventTooLarge):
		return errors.Join(errcode.TooLarge("event is larger than 65536 bytes"), err)
	case errors.Is(err, auth.ErrInvalidContent),
		errors.Is(err, api.ErrInvalidEvent),
		errors.Is(err, event.ErrInvalidJSON),
		errors.Is(err, event.ErrInvalidField),
		errors.Is(err, event.ErrMissingField),
		errors.Is(err, event.ErrFieldTooLong):
		return errors.Join(errcode.BadJSON(err.Error()), err)
	case errors.Is(err, api.ErrRoomNotFound):
		return errors.Join(errcode.NotFound("unknown room"), err)
	case errors.Is(err, api.ErrEventNotFound):
		return errors.Join(errcode.NotFound("unknown event"), err)
	}
	return err
}

// reason is the rule that rejected an event, in words for the client.
func reason(err error) string {
	var re *auth.RuleError
	if errors.As(err, &re) && re.Reason != "" {
		return re.Reason
	}
	return err.Error()
}

// notInRoom is the answer to a user acting on a room they are not in,
// whether or not the room exists (as Synapse does, so room IDs cannot be
// probed).
func notInRoom() *errcode.Error {
	return errcode.Forbidden("you are not a member of this room")
}
