package presence

import (
	"github.com/ocomms/ocomms/internal/outbox"
	"github.com/ocomms/ocomms/storage"
)

const outboxTable = "clientapi_presence_outbox"

// migrations is the component's schema history.
//
// clientapi_presence holds one row per user who ever had a presence:
// last_active_ts is the last activity (a PUT, or a sync that set the user
// online), last_sync_ts the last sign of life on any instance, which the
// sweeper compares with presence.offline_after. serial counts the
// published changes of the row.
var migrations = []storage.Migration{{
	Version: 1,
	Name:    "presence and its outbox",
	Up: `
CREATE TABLE clientapi_presence (
	user_id        TEXT PRIMARY KEY,
	presence       TEXT NOT NULL,
	status_msg     TEXT,
	last_active_ts BIGINT NOT NULL,
	last_sync_ts   BIGINT NOT NULL,
	serial         BIGINT NOT NULL
);
CREATE INDEX clientapi_presence_idle ON clientapi_presence (last_sync_ts) WHERE presence <> 'offline';
` + outbox.Schema(outboxTable),
}}
