package accountdata

import (
	"github.com/ocomms/ocomms/internal/outbox"
	"github.com/ocomms/ocomms/storage"
)

// outboxTable holds the account data changes not yet on the bus.
const outboxTable = "accountdata_outbox"

// migrations is the component's schema history.
//
// clientapi_account_data holds the current content of every account data
// type of every user: room_id is the empty string for global account
// data. revision counts the changes of a row; the bus message carries it
// so consumers never let an older change overwrite a newer one.
var migrations = []storage.Migration{{
	Version: 1,
	Name:    "account data and its outbox",
	Up: `
CREATE TABLE clientapi_account_data (
	user_id  TEXT NOT NULL,
	room_id  TEXT NOT NULL,
	type     TEXT NOT NULL,
	content  TEXT NOT NULL,
	revision BIGINT NOT NULL,
	PRIMARY KEY (user_id, room_id, type)
);
` + outbox.Schema(outboxTable),
}}
