package accounts

import (
	"context"
	"fmt"
)

// DehydratedDevices tells which device of a user is their dehydrated
// device (MSC3814): a device no client runs, kept by the keys component,
// which GET /devices leaves out as Synapse does, so device managers do not
// offer it for sign-out or show it as an unverified session.
// https://github.com/matrix-org/matrix-spec-proposals/pull/3814
type DehydratedDevices interface {
	// DehydratedDeviceID returns the user's dehydrated device, or "".
	DehydratedDeviceID(ctx context.Context, userID string) (string, error)
}

// SetDehydratedDevices wires the keys component; without it every device
// is listed.
func (a *Accounts) SetDehydratedDevices(d DehydratedDevices) { a.dehydrated = d }

// hiddenDevice is the device of userID that GET /devices does not list,
// or "".
func (a *Accounts) hiddenDevice(ctx context.Context, userID string) (string, error) {
	if a.dehydrated == nil {
		return "", nil
	}
	id, err := a.dehydrated.DehydratedDeviceID(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("reading the dehydrated device: %w", err)
	}
	return id, nil
}
