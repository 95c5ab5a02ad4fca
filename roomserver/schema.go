package roomserver

import "github.com/ocomms/ocomms/storage"

// migrations is the roomserver's schema history.
//
// Rooms and events are addressed internally by numeric IDs (NIDs) so that
// the state tables, which hold most rows, stay narrow.
//
// State is stored as snapshots shared between events (see state.go): a
// message event points at the snapshot of the state event before it, and
// each state event adds one snapshot holding only its delta, except every
// fullSnapshotEvery-th one, which holds the whole state so that reading any
// snapshot touches a bounded number of rows.
var migrations = []storage.Migration{{
	Version: 1,
	Name:    "rooms, events, state snapshots, transactions and outbox",
	Up: `
CREATE TABLE roomserver_rooms (
	room_nid            BIGSERIAL PRIMARY KEY,
	room_id             TEXT NOT NULL UNIQUE,
	room_version        TEXT NOT NULL,
	-- snapshot of the current state; 0 before the create event is stored
	state_snapshot_nid  BIGINT NOT NULL DEFAULT 0,
	-- JSON array of the event IDs new events cite as prev_events
	forward_extremities TEXT NOT NULL DEFAULT '[]',
	-- greatest depth among the forward extremities
	depth               BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE roomserver_events (
	event_nid          BIGSERIAL PRIMARY KEY,
	event_id           TEXT NOT NULL UNIQUE,
	room_nid           BIGINT NOT NULL REFERENCES roomserver_rooms (room_nid),
	type               TEXT NOT NULL,
	-- NULL for message events
	state_key          TEXT,
	sender             TEXT NOT NULL,
	depth              BIGINT NOT NULL,
	-- the PDU exactly as built or received (canonical JSON, so not JSONB)
	pdu                TEXT NOT NULL,
	rejected           BOOLEAN NOT NULL DEFAULT FALSE,
	-- the applied m.room.redaction that redacts this event
	redacted_by        TEXT,
	-- the state of the room after this event
	state_snapshot_nid BIGINT NOT NULL
);
CREATE INDEX roomserver_events_room_depth ON roomserver_events (room_nid, depth);

CREATE TABLE roomserver_state_snapshots (
	snapshot_nid BIGSERIAL PRIMARY KEY,
	room_nid     BIGINT NOT NULL REFERENCES roomserver_rooms (room_nid),
	-- the snapshot this one adds its entries to; NULL for a full snapshot
	parent_nid   BIGINT REFERENCES roomserver_state_snapshots (snapshot_nid),
	-- how many delta snapshots lie between this one and its full snapshot
	chain_length INTEGER NOT NULL
);

CREATE TABLE roomserver_state_entries (
	snapshot_nid BIGINT NOT NULL REFERENCES roomserver_state_snapshots (snapshot_nid),
	type         TEXT NOT NULL,
	state_key    TEXT NOT NULL,
	event_nid    BIGINT NOT NULL,
	PRIMARY KEY (snapshot_nid, type, state_key)
);

-- The current state of every room, one row per (type, state_key), with the
-- membership of m.room.member events so that membership queries are index
-- lookups.
CREATE TABLE roomserver_current_state (
	room_nid   BIGINT NOT NULL REFERENCES roomserver_rooms (room_nid),
	type       TEXT NOT NULL,
	state_key  TEXT NOT NULL,
	event_nid  BIGINT NOT NULL,
	membership TEXT,
	PRIMARY KEY (room_nid, type, state_key)
);
CREATE INDEX roomserver_current_state_memberships ON roomserver_current_state (state_key, membership, type);

-- Client transaction IDs already used, so a retried send returns the first
-- event (https://spec.matrix.org/latest/client-server-api/#transaction-identifiers).
CREATE TABLE roomserver_transactions (
	user_id    TEXT NOT NULL,
	device_id  TEXT NOT NULL,
	txn_id     TEXT NOT NULL,
	room_id    TEXT NOT NULL,
	event_id   TEXT NOT NULL,
	created_ts BIGINT NOT NULL,
	PRIMARY KEY (user_id, device_id, txn_id)
);

-- Output events written with the event in one transaction and deleted once
-- the bus acknowledged them; seq is OutputEvent.Sequence.
CREATE TABLE roomserver_outbox (
	seq      BIGSERIAL PRIMARY KEY,
	room_nid BIGINT NOT NULL,
	payload  TEXT NOT NULL
);

-- The lease of the instance that publishes the outbox: one publisher keeps
-- each room's output in order.
CREATE TABLE roomserver_outbox_lease (
	id         INTEGER PRIMARY KEY,
	holder     TEXT NOT NULL,
	expires_ts BIGINT NOT NULL
);
INSERT INTO roomserver_outbox_lease (id, holder, expires_ts) VALUES (1, '', 0);
`,
}, {
	Version: 2,
	Name:    "transactions expire",
	Up:      `CREATE INDEX roomserver_transactions_created ON roomserver_transactions (created_ts);`,
}}
