package api

import (
	"encoding/json"
	"time"

	"github.com/ocomms/ocomms/bus"
)

// ToDeviceStream carries send-to-device messages the client API accepted,
// in acceptance order. The sync API stores each recipient's copy under a
// stream position and delivers it in /sync until the device acknowledges
// it with its next since token.
//
// https://spec.matrix.org/latest/client-server-api/#send-to-device-messaging
const (
	ToDeviceStream  = "CLIENTAPI_TO_DEVICE"
	ToDeviceSubject = "clientapi.to_device"
)

// ToDeviceVersion is the wire version of ToDevice.
const ToDeviceVersion = 1

// ToDevice is one /sendToDevice request, with "*" already expanded to the
// recipient's devices at the time it was accepted.
type ToDevice struct {
	Version int `json:"v"`
	// MessageID is unique per accepted request; a consumer that already
	// stored it drops the copy (the outbox may publish a row twice).
	MessageID string `json:"message_id"`
	Sender    string `json:"sender"`
	Type      string `json:"type"`
	// Recipients in the order the sync API should number them.
	Recipients []ToDeviceRecipient `json:"recipients"`
}

// ToDeviceRecipient is one device's copy of a message.
type ToDeviceRecipient struct {
	UserID   string          `json:"user_id"`
	DeviceID string          `json:"device_id"`
	Content  json.RawMessage `json:"content"`
}

func (ToDevice) MessageType() string { return "clientapi.to_device" }
func (ToDevice) MessageVersion() int { return ToDeviceVersion }

// DeviceListStream carries changes of users' device lists and
// cross-signing keys, from which /sync's device_lists.changed and
// /keys/changes are computed (and, later, federation's m.device_list_update).
const (
	DeviceListStream  = "CLIENTAPI_DEVICE_LISTS"
	DeviceListSubject = "clientapi.device_lists"
)

// DeviceListUpdateVersion is the wire version of DeviceListUpdate.
const DeviceListUpdateVersion = 1

// DeviceListUpdate says that UserID's devices or cross-signing keys
// changed: a device uploaded new keys or was deleted, or a cross-signing
// key or signature was uploaded.
type DeviceListUpdate struct {
	Version   int    `json:"v"`
	MessageID string `json:"message_id"`
	UserID    string `json:"user_id"`
	// VisibleTo, when set, limits who is told: a signature one user made
	// of another's master key is visible to the signer alone. Empty means
	// everyone sharing a room with UserID, and UserID.
	VisibleTo []string `json:"visible_to,omitempty"`
}

func (DeviceListUpdate) MessageType() string { return "clientapi.device_list_update" }
func (DeviceListUpdate) MessageVersion() int { return DeviceListUpdateVersion }

// KeyStreams are the streams of the end-to-end encryption endpoints. Both
// are read into the sync API's tables; a week covers any realistic outage
// of a consumer.
func KeyStreams() []bus.StreamSpec {
	return []bus.StreamSpec{{
		Name:        ToDeviceStream,
		Description: "clientapi: send-to-device messages, in acceptance order",
		Subjects:    []string{ToDeviceSubject},
		MaxAge:      7 * 24 * time.Hour,
		Duplicates:  2 * time.Minute,
	}, {
		Name:        DeviceListStream,
		Description: "clientapi: device list and cross-signing key changes, in commit order",
		Subjects:    []string{DeviceListSubject},
		MaxAge:      7 * 24 * time.Hour,
		Duplicates:  2 * time.Minute,
	}}
}
