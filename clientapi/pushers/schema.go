package pushers

import "github.com/ocomms/ocomms/storage"

// migrations is the component's schema history.
//
// clientapi_pushers holds every pusher: one per user, app_id and pushkey.
// device_id is the device whose access token set it, so it goes with the
// device. data is the client's data object as given (with url); url is
// its url, copied out for delivery. pushkey_ts is when the pusher was last
// set, in seconds since the epoch.
var migrations = []storage.Migration{{
	Version: 1,
	Name:    "pushers",
	Up: `
CREATE TABLE clientapi_pushers (
	user_id             TEXT NOT NULL,
	app_id              TEXT NOT NULL,
	pushkey             TEXT NOT NULL,
	device_id           TEXT NOT NULL,
	kind                TEXT NOT NULL,
	app_display_name    TEXT NOT NULL,
	device_display_name TEXT NOT NULL,
	profile_tag         TEXT NOT NULL,
	lang                TEXT NOT NULL,
	data                TEXT NOT NULL,
	url                 TEXT NOT NULL,
	pushkey_ts          BIGINT NOT NULL,
	PRIMARY KEY (user_id, app_id, pushkey)
);
CREATE INDEX clientapi_pushers_key ON clientapi_pushers (app_id, pushkey);
CREATE INDEX clientapi_pushers_device ON clientapi_pushers (user_id, device_id);
`,
}}
