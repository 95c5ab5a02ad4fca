package mediaapi

import "github.com/ocomms/ocomms/storage"

// migrations are the content repository's tables.
//
// mediaapi_blobs is one row per stored content (by SHA-256) and the store
// holding it; media and thumbnails refer to blobs, so identical uploads
// are stored once. present says the bytes were written; pins and
// pinned_until protect a blob between the moment an upload decides to
// reuse or write it and the commit of the row that refers to it (see
// blobs.go).
//
// mediaapi_media is one row per media ID, local or a cached remote one;
// sha256 is NULL while a media ID from /create waits for its upload.
// Timestamps are milliseconds since the Unix epoch.
var migrations = []storage.Migration{
	{Version: 1, Name: "media", Up: `
CREATE TABLE mediaapi_blobs (
	sha256       TEXT PRIMARY KEY,
	size         BIGINT NOT NULL,
	store        TEXT NOT NULL,
	present      BOOLEAN NOT NULL DEFAULT FALSE,
	pins         INTEGER NOT NULL DEFAULT 0,
	pinned_until BIGINT NOT NULL DEFAULT 0,
	created_ts   BIGINT NOT NULL
);
CREATE INDEX mediaapi_blobs_store ON mediaapi_blobs (store);

CREATE TABLE mediaapi_media (
	origin            TEXT NOT NULL,
	media_id          TEXT NOT NULL,
	user_id           TEXT NOT NULL,
	sha256            TEXT,
	content_type      TEXT NOT NULL DEFAULT '',
	filename          TEXT NOT NULL DEFAULT '',
	size              BIGINT NOT NULL DEFAULT 0,
	width             INTEGER NOT NULL DEFAULT 0,
	height            INTEGER NOT NULL DEFAULT 0,
	animated          BOOLEAN NOT NULL DEFAULT FALSE,
	created_ts        BIGINT NOT NULL,
	uploaded_ts       BIGINT NOT NULL DEFAULT 0,
	last_access_ts    BIGINT NOT NULL,
	unused_expires_ts BIGINT NOT NULL DEFAULT 0,
	quarantined       BOOLEAN NOT NULL DEFAULT FALSE,
	url_cache         BOOLEAN NOT NULL DEFAULT FALSE,
	PRIMARY KEY (origin, media_id)
);
CREATE INDEX mediaapi_media_user ON mediaapi_media (user_id, created_ts);
CREATE INDEX mediaapi_media_sha256 ON mediaapi_media (sha256);
CREATE INDEX mediaapi_media_access ON mediaapi_media (origin, last_access_ts);

CREATE TABLE mediaapi_thumbnails (
	origin       TEXT NOT NULL,
	media_id     TEXT NOT NULL,
	method       TEXT NOT NULL,
	animated     BOOLEAN NOT NULL,
	width        INTEGER NOT NULL,
	height       INTEGER NOT NULL,
	content_type TEXT NOT NULL,
	sha256       TEXT NOT NULL,
	size         BIGINT NOT NULL,
	PRIMARY KEY (origin, media_id, method, animated, width, height)
);
CREATE INDEX mediaapi_thumbnails_sha256 ON mediaapi_thumbnails (sha256);

CREATE TABLE mediaapi_usage (
	user_id     TEXT PRIMARY KEY,
	used_bytes  BIGINT NOT NULL,
	media_count BIGINT NOT NULL
);

CREATE TABLE mediaapi_quotas (
	user_id   TEXT PRIMARY KEY,
	max_bytes BIGINT NOT NULL
);

CREATE TABLE mediaapi_url_previews (
	url        TEXT PRIMARY KEY,
	og         JSONB NOT NULL,
	fetched_ts BIGINT NOT NULL,
	expires_ts BIGINT NOT NULL
);
CREATE INDEX mediaapi_url_previews_expiry ON mediaapi_url_previews (expires_ts);
`},
	{Version: 2, Name: "room media quotas", Up: `
-- One row per event and the local media it names (roomrefs.go).
CREATE TABLE mediaapi_room_media (
	room_id  TEXT NOT NULL,
	event_id TEXT NOT NULL,
	media_id TEXT NOT NULL,
	PRIMARY KEY (room_id, event_id, media_id)
);
CREATE INDEX mediaapi_room_media_media ON mediaapi_room_media (room_id, media_id);

CREATE TABLE mediaapi_room_quotas (
	room_id   TEXT PRIMARY KEY,
	max_bytes BIGINT NOT NULL
);
`},
}
