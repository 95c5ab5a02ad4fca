package accounts

import (
	"github.com/ocomms/ocomms/internal/outbox"
	"github.com/ocomms/ocomms/storage"
)

// migrations are the accounts tables. Every table is prefixed with
// accounts_ because all components share one database.
//
// Secrets are never stored in the clear: passwords as argon2id PHC strings,
// access and refresh tokens as the hex SHA-256 of the token, so a copy of
// the database does not hand out sessions.
var migrations = []storage.Migration{
	{Version: 1, Name: "users, devices, tokens, nonces, UIA sessions, registration tokens", Up: `
CREATE TABLE accounts_users (
	user_id       TEXT PRIMARY KEY,
	password_hash TEXT NOT NULL DEFAULT '',
	is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
	is_guest      BOOLEAN NOT NULL DEFAULT FALSE,
	deactivated   BOOLEAN NOT NULL DEFAULT FALSE,
	created_ts    BIGINT NOT NULL
);

CREATE TABLE accounts_devices (
	user_id      TEXT NOT NULL,
	device_id    TEXT NOT NULL,
	display_name TEXT,
	created_ts   BIGINT NOT NULL,
	last_seen_ts BIGINT,
	last_seen_ip TEXT,
	last_seen_user_agent TEXT,
	PRIMARY KEY (user_id, device_id)
);

-- expires_ts is NULL for tokens without a refresh token, which live until
-- logout. An expired refreshable token stays until its device refreshes or
-- logs out, so it can be answered with soft_logout.
CREATE TABLE accounts_access_tokens (
	session_id BIGSERIAL PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	user_id    TEXT NOT NULL,
	device_id  TEXT NOT NULL,
	created_ts BIGINT NOT NULL,
	expires_ts BIGINT,
	refresh_id BIGINT
);
CREATE INDEX accounts_access_tokens_device ON accounts_access_tokens (user_id, device_id);

-- next_refresh_id is set once the refresh token was used: the old one stays
-- usable (a client may lose the answer) until the new pair is used.
CREATE TABLE accounts_refresh_tokens (
	refresh_id      BIGSERIAL PRIMARY KEY,
	token_hash      TEXT NOT NULL UNIQUE,
	user_id         TEXT NOT NULL,
	device_id       TEXT NOT NULL,
	created_ts      BIGINT NOT NULL,
	next_refresh_id BIGINT
);
CREATE INDEX accounts_refresh_tokens_device ON accounts_refresh_tokens (user_id, device_id);

CREATE TABLE accounts_registration_nonces (
	nonce      TEXT PRIMARY KEY,
	created_ts BIGINT NOT NULL
);

-- One user-interactive authentication session. kind names the operation
-- it authorises; user_id is the authenticated user it belongs to (empty
-- for registration); completed is a JSON array of finished stages;
-- registration_token is the token whose use it holds as pending.
CREATE TABLE accounts_uia_sessions (
	session_id         TEXT PRIMARY KEY,
	kind               TEXT NOT NULL,
	user_id            TEXT NOT NULL DEFAULT '',
	completed          JSONB NOT NULL,
	registration_token TEXT,
	created_ts         BIGINT NOT NULL
);
CREATE INDEX accounts_uia_sessions_created ON accounts_uia_sessions (created_ts);

CREATE TABLE accounts_registration_tokens (
	token        TEXT PRIMARY KEY,
	uses_allowed BIGINT,
	pending      BIGINT NOT NULL DEFAULT 0,
	completed    BIGINT NOT NULL DEFAULT 0,
	expiry_time  BIGINT
);
`}, {Version: 2, Name: "login tokens", Up: `
-- Single-use tokens of POST /login/get_token, stored hashed like access
-- tokens; a row is deleted when the token is used.
CREATE TABLE accounts_login_tokens (
	token_hash TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL,
	expires_ts BIGINT NOT NULL
);
CREATE INDEX accounts_login_tokens_expires ON accounts_login_tokens (expires_ts);
`}, {Version: 3, Name: "erasure outbox", Up: `
-- Erasures of deactivated accounts not yet on the bus (deactivation.go).
` + outbox.Schema(outboxTable)}, {Version: 4, Name: "account locking and suspension", Up: `
-- Set by the admin endpoints of moderation.go; both are reversible,
-- unlike deactivated, and keep the account's sessions.
ALTER TABLE accounts_users ADD COLUMN locked BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE accounts_users ADD COLUMN suspended BOOLEAN NOT NULL DEFAULT FALSE;
`},
}
