package accountdata

import (
	"fmt"
	"net/http"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
)

// target reads the path of an account data request: the user must be the
// caller, the room (when the path has one) a valid room ID.
func target(r *http.Request, dev *httpapi.Device, evType string, write bool) (key, error) {
	vars := httpapi.Vars(r)
	if vars["userId"] != dev.UserID {
		if write {
			return key{}, errcode.Forbidden("Cannot add account data for other users.")
		}
		return key{}, errcode.Forbidden("Cannot get account data for other users.")
	}
	k := key{userID: dev.UserID, evType: evType}
	if roomID, ok := vars["roomId"]; ok {
		if _, err := id.ParseRoomID(roomID); err != nil {
			return key{}, errcode.InvalidParam(fmt.Sprintf("%s is not a valid room ID.", roomID))
		}
		k.roomID = roomID
	}
	return k, nil
}

// GET /user/{userId}/account_data/{type} and
// GET /user/{userId}/rooms/{roomId}/account_data/{type}.
func (a *AccountData) get(r *http.Request, dev *httpapi.Device) (any, error) {
	k, err := target(r, dev, httpapi.Vars(r)["type"], false)
	if err != nil {
		return nil, err
	}
	content, err := a.load(r.Context(), k)
	if err != nil {
		return nil, err
	}
	if content == nil {
		if k.roomID != "" {
			return nil, errcode.NotFound("Room account data not found.")
		}
		return nil, errcode.NotFound("Account data not found.")
	}
	return content, nil
}

// PUT /user/{userId}/account_data/{type} and
// PUT /user/{userId}/rooms/{roomId}/account_data/{type}.
//
// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3useruseridaccount_datatype
func (a *AccountData) put(r *http.Request, dev *httpapi.Device) (any, error) {
	evType := httpapi.Vars(r)["type"]
	k, err := target(r, dev, evType, true)
	if err != nil {
		return nil, err
	}
	if err := checkType(evType); err != nil {
		return nil, err
	}
	content, err := readContent(r)
	if err != nil {
		return nil, err
	}
	if err := validateContent(evType, content); err != nil {
		return nil, err
	}
	if err := a.store(r.Context(), k, content); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
