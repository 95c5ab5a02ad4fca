package syncapi

import (
	"github.com/ocomms/ocomms/internal/outbox"
	"github.com/ocomms/ocomms/storage"
)

// streamRoomEvents names the room event stream in syncapi_stream_positions.
// Later streams (receipts, typing, to-device, account data...) get rows of
// their own and a field each in the sync token.
const streamRoomEvents = "room_events"

// migrations is the syncapi schema history.
//
// syncapi_events holds every room event the roomserver published, with the
// stream position the consumer gave it. syncapi_room_state records, for each
// state event, the stream positions at which it entered and left the room's
// current state, so the state at any position is a range query and the
// current state is the rows still open (removed_pos IS NULL). A user's
// membership history is the m.room.member rows with their user ID as state
// key.
var migrations = []storage.Migration{{
	Version: 1,
	Name:    "room events, state history, redactions and filters",
	Up: `
CREATE TABLE syncapi_stream_positions (
	stream   TEXT PRIMARY KEY,
	position BIGINT NOT NULL
);
INSERT INTO syncapi_stream_positions (stream, position) VALUES ('room_events', 0);

CREATE TABLE syncapi_events (
	stream_pos       BIGINT PRIMARY KEY,
	event_id         TEXT NOT NULL UNIQUE,
	room_id          TEXT NOT NULL,
	room_version     TEXT NOT NULL,
	type             TEXT NOT NULL,
	sender           TEXT NOT NULL,
	state_key        TEXT,
	depth            BIGINT NOT NULL,
	contains_url     BOOLEAN NOT NULL,
	event_json       TEXT NOT NULL,
	replaces_state   TEXT,
	redacted_because TEXT,
	txn_user_id      TEXT,
	txn_device_id    TEXT,
	txn_id           TEXT
);
CREATE INDEX syncapi_events_room_stream ON syncapi_events (room_id, stream_pos);
CREATE INDEX syncapi_events_room_topological ON syncapi_events (room_id, depth, stream_pos);

CREATE TABLE syncapi_room_state (
	room_id     TEXT NOT NULL,
	event_id    TEXT NOT NULL,
	type        TEXT NOT NULL,
	state_key   TEXT NOT NULL,
	membership  TEXT,
	added_pos   BIGINT NOT NULL,
	removed_pos BIGINT,
	PRIMARY KEY (event_id, added_pos)
);
CREATE INDEX syncapi_room_state_room ON syncapi_room_state (room_id, added_pos);
CREATE INDEX syncapi_room_state_current ON syncapi_room_state (room_id, type, state_key) WHERE removed_pos IS NULL;
CREATE INDEX syncapi_room_state_user ON syncapi_room_state (state_key, type, added_pos);

CREATE TABLE syncapi_redactions (
	redacts_event_id   TEXT PRIMARY KEY,
	redaction_event_id TEXT NOT NULL
);

CREATE TABLE syncapi_filters (
	filter_id   BIGSERIAL PRIMARY KEY,
	user_id     TEXT NOT NULL,
	filter_hash TEXT NOT NULL,
	filter_json TEXT NOT NULL,
	UNIQUE (user_id, filter_hash)
);
`,
}, {
	Version: 2,
	Name:    "to-device messages and device list changes",
	Up: `
INSERT INTO syncapi_stream_positions (stream, position) VALUES ('to_device', 0);
INSERT INTO syncapi_stream_positions (stream, position) VALUES ('device_lists', 0);

-- One device's copy of a to-device message, kept until the device
-- acknowledges it by syncing with a token at or past stream_pos.
-- message_id is the client API's ID of the request, to drop a message
-- the bus delivered twice.
CREATE TABLE syncapi_to_device (
	stream_pos BIGINT PRIMARY KEY,
	message_id TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	device_id  TEXT NOT NULL,
	sender     TEXT NOT NULL,
	type       TEXT NOT NULL,
	content    TEXT NOT NULL
);
CREATE INDEX syncapi_to_device_device ON syncapi_to_device (user_id, device_id, stream_pos);
CREATE INDEX syncapi_to_device_message ON syncapi_to_device (message_id);

-- user_id's devices or cross-signing keys changed at stream_pos;
-- visible_to is a JSON array of the only users to tell, or [] for
-- everyone sharing a room with user_id.
CREATE TABLE syncapi_device_list_changes (
	stream_pos BIGINT PRIMARY KEY,
	message_id TEXT NOT NULL UNIQUE,
	user_id    TEXT NOT NULL,
	visible_to TEXT NOT NULL
);
`,
}, {
	Version: 3,
	Name:    "receipts and notifying events",
	Up: `
INSERT INTO syncapi_stream_positions (stream, position) VALUES ('receipts', 0);

-- The latest m.read and m.read.private receipt of each user per room and
-- thread ('' for unthreaded), with the room stream position of the event
-- it acknowledges (event_pos) and the receipt stream position it was
-- stored at.
CREATE TABLE syncapi_receipts (
	room_id      TEXT NOT NULL,
	user_id      TEXT NOT NULL,
	receipt_type TEXT NOT NULL,
	thread_id    TEXT NOT NULL,
	event_id     TEXT NOT NULL,
	event_pos    BIGINT NOT NULL,
	ts           BIGINT NOT NULL,
	stream_pos   BIGINT NOT NULL,
	PRIMARY KEY (room_id, user_id, receipt_type, thread_id)
);
CREATE INDEX syncapi_receipts_stream ON syncapi_receipts (stream_pos);

-- The events that notify a local user, from push rule evaluation when the
-- event was stored: unread counts are the rows after the user's receipts.
CREATE TABLE syncapi_notifications (
	user_id    TEXT NOT NULL,
	room_id    TEXT NOT NULL,
	stream_pos BIGINT NOT NULL,
	thread_id  TEXT NOT NULL,
	highlight  BOOLEAN NOT NULL,
	PRIMARY KEY (user_id, room_id, stream_pos)
);
`,
}, {
	Version: 4,
	Name:    "push rule changes on the account data stream",
	Up: `
-- The account data stream is shared with the account data the client API
-- stores; whichever migration runs first creates its row.
INSERT INTO syncapi_stream_positions (stream, position) VALUES ('account_data', 0) ON CONFLICT (stream) DO NOTHING;

-- The account data position at which each user's push rules last changed,
-- and the client API's revision of that change.
CREATE TABLE syncapi_push_rules (
	user_id    TEXT PRIMARY KEY,
	revision   BIGINT NOT NULL,
	stream_pos BIGINT NOT NULL
);
`,
}, {
	Version: 5,
	Name:    "account data",
	// syncapi_account_data is the current content of each account data
	// type of each user (room_id is the empty string for global account
	// data), at the account data stream position of its last change;
	// revision is the client API's count of changes, so a redelivered or
	// late message never overwrites a newer one.
	Up: `
CREATE TABLE syncapi_account_data (
	user_id    TEXT NOT NULL,
	room_id    TEXT NOT NULL,
	type       TEXT NOT NULL,
	content    TEXT NOT NULL,
	revision   BIGINT NOT NULL,
	stream_pos BIGINT NOT NULL,
	PRIMARY KEY (user_id, room_id, type)
);
CREATE INDEX syncapi_account_data_user_pos ON syncapi_account_data (user_id, stream_pos);
INSERT INTO syncapi_stream_positions (stream, position) VALUES ('account_data', 0) ON CONFLICT (stream) DO NOTHING;
`,
}, {
	Version: 6,
	Name:    "presence",
	// syncapi_presence is the latest presence of each user, at the
	// presence stream position of its last change; serial is the
	// client API's change counter, to skip redeliveries.
	Up: `
INSERT INTO syncapi_stream_positions (stream, position) VALUES ('presence', 0);
CREATE TABLE syncapi_presence (
	user_id          TEXT PRIMARY KEY,
	serial           BIGINT NOT NULL,
	presence         TEXT NOT NULL,
	status_msg       TEXT,
	last_active_ts   BIGINT NOT NULL,
	currently_active BOOLEAN NOT NULL,
	stream_pos       BIGINT NOT NULL
);
CREATE INDEX syncapi_presence_pos ON syncapi_presence (stream_pos);
`,
}, {
	// syncapi_relations holds one row per event whose content carries a
	// well-formed m.relates_to with a rel_type (event_id is the child,
	// parent_id the event it points at), with the child's ordering and
	// the fields the aggregations and filters need, so paging a parent's
	// children never reads event JSON. A redacted child loses its row.
	// syncapi_threads is each thread root with the stream position of
	// the latest m.thread child, the order of GET /threads.
	Version: 7,
	Name:    "event relationships and threads",
	Up: `
CREATE TABLE syncapi_relations (
	event_id        TEXT PRIMARY KEY,
	room_id         TEXT NOT NULL,
	parent_id       TEXT NOT NULL,
	rel_type        TEXT NOT NULL,
	aggregation_key TEXT,
	event_type      TEXT NOT NULL,
	sender          TEXT NOT NULL,
	origin_ts       BIGINT NOT NULL,
	depth           BIGINT NOT NULL,
	stream_pos      BIGINT NOT NULL
);
CREATE INDEX syncapi_relations_parent ON syncapi_relations (parent_id, depth, stream_pos);
CREATE INDEX syncapi_relations_parent_sender ON syncapi_relations (parent_id, rel_type, sender);

CREATE TABLE syncapi_threads (
	root_id    TEXT PRIMARY KEY,
	room_id    TEXT NOT NULL,
	latest_pos BIGINT NOT NULL
);
CREATE INDEX syncapi_threads_room ON syncapi_threads (room_id, latest_pos);

-- Events stored before this migration, at stream positions up to
-- pending_upto, still have their relationships to be read; the
-- backfill (relations_backfill.go) lowers it and deletes the row when done.
CREATE TABLE syncapi_relations_backfill (
	pending_upto BIGINT NOT NULL
);
INSERT INTO syncapi_relations_backfill (pending_upto)
	SELECT position FROM syncapi_stream_positions WHERE stream = 'room_events' AND position > 0;
`,
}, {
	Version: 8,
	Name:    "notification actions and the push outbox",
	// The actions of the push rule that matched and when the notification
	// was recorded, for GET /notifications; the outbox holds the pushes
	// (syncapi/api.Push) not yet on the bus.
	Up: `
ALTER TABLE syncapi_notifications ADD COLUMN actions TEXT NOT NULL DEFAULT '["notify"]';
ALTER TABLE syncapi_notifications ADD COLUMN ts BIGINT NOT NULL DEFAULT 0;
CREATE INDEX syncapi_notifications_user_pos ON syncapi_notifications (user_id, stream_pos);
` + outbox.Schema(pushOutboxTable),
}, {
	Version: 9,
	Name:    "sliding sync connections",
	// A sliding sync connection is (user_id, device_id, conn_id). Its
	// positions are the pos values it handed out and may still be
	// resumed from; its rooms record, per position, which rooms were sent
	// and up to which room stream position, with the timeline limit and
	// required_state they were sent with (slidingsync_conn.go).
	Up: `
INSERT INTO syncapi_stream_positions (stream, position) VALUES ('sliding_sync', 0);
CREATE TABLE syncapi_sliding_sync_positions (
	user_id   TEXT NOT NULL,
	device_id TEXT NOT NULL,
	conn_id   TEXT NOT NULL,
	pos       BIGINT NOT NULL,
	PRIMARY KEY (user_id, device_id, conn_id, pos)
);
CREATE TABLE syncapi_sliding_sync_rooms (
	user_id        TEXT NOT NULL,
	device_id      TEXT NOT NULL,
	conn_id        TEXT NOT NULL,
	room_id        TEXT NOT NULL,
	conn_pos       BIGINT NOT NULL,
	room_pos       BIGINT NOT NULL,
	timeline_limit INTEGER NOT NULL,
	state_sig      TEXT NOT NULL,
	PRIMARY KEY (user_id, device_id, conn_id, room_id, conn_pos)
);
`,
}, {
	Version: 10,
	Name:    "erased users",
	// syncapi_erased_users are the users who deactivated with erase and
	// the room stream position the erasure was read at (erasure.go).
	Up: `
CREATE TABLE syncapi_erased_users (
	user_id    TEXT PRIMARY KEY,
	erased_pos BIGINT NOT NULL
);
`,
}, {
	Version: 11,
	Name:    "message search",
	// The searchable text of each event (search.go): content.body of
	// m.room.message, content.name of m.room.name, content.topic of
	// m.room.topic, under a text index that finds any substring in any
	// language. A redacted event's row is deleted. Events stored before
	// this migration are indexed by the backfill (backfill.go), newest
	// first, down from pending_upto.
	Up: `
CREATE TABLE syncapi_search (
	stream_pos BIGINT PRIMARY KEY,
	room_id    TEXT NOT NULL,
	sender     TEXT NOT NULL,
	type       TEXT NOT NULL,
	field      TEXT NOT NULL,
	body       TEXT NOT NULL
);
CREATE INDEX syncapi_search_room ON syncapi_search (room_id, stream_pos);
CREATE TABLE syncapi_search_backfill (
	pending_upto BIGINT NOT NULL
);
INSERT INTO syncapi_search_backfill (pending_upto)
	SELECT position FROM syncapi_stream_positions WHERE stream = 'room_events' AND position > 0;
`,
	TextIndexes: []storage.TextIndex{searchIndex},
}, {
	Version: 12,
	Name:    "notification pruning order",
	// The sweeper (notifications_prune.go) walks old notifications in
	// the order they were recorded.
	Up: `CREATE INDEX syncapi_notifications_ts ON syncapi_notifications (ts, stream_pos);`,
}, {
	Version: 13,
	Name:    "to-device message times",
	// When a to-device message was stored (milliseconds), so the sweeper
	// (todevice_sweep.go) drops the old ones of devices that do not exist;
	// messages stored before count as old.
	Up: `ALTER TABLE syncapi_to_device ADD COLUMN ts BIGINT NOT NULL DEFAULT 0;`,
}, {
	Version: 14,
	Name:    "event timestamps",
	// origin_ts is the event's origin_server_ts, so timestamp_to_event is
	// an index lookup. Events stored before have it filled by the
	// backfill (timestamp_index.go), which works down from pending_upto.
	Up: `
ALTER TABLE syncapi_events ADD COLUMN origin_ts BIGINT;
CREATE INDEX syncapi_events_room_ts ON syncapi_events (room_id, origin_ts, stream_pos);
CREATE TABLE syncapi_origin_ts_backfill (
	pending_upto BIGINT NOT NULL
);
INSERT INTO syncapi_origin_ts_backfill (pending_upto)
	SELECT position FROM syncapi_stream_positions WHERE stream = 'room_events' AND position > 0;
`,
}}
