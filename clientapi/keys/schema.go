package keys

import (
	"github.com/ocomms/ocomms/internal/outbox"
	"github.com/ocomms/ocomms/storage"
)

// migrations are the key store's tables, prefixed keys_. Key objects are
// kept as the canonical JSON the device uploaded (without "unsigned"),
// because clients check signatures over exactly those bytes; signatures
// added later through /keys/signatures/upload live in keys_signatures and
// are merged in when the key is served.
var migrations = []storage.Migration{{
	Version: 1,
	Name:    "device keys, one-time and fallback keys, cross-signing keys, signatures, key backup, to-device transactions",
	Up: `
CREATE TABLE keys_device_keys (
	user_id    TEXT NOT NULL,
	device_id  TEXT NOT NULL,
	-- ed25519 is the device's signing key, which checks the signatures of
	-- its one-time keys and of its signatures of the master key.
	ed25519    TEXT NOT NULL,
	key_json   TEXT NOT NULL,
	updated_ts BIGINT NOT NULL,
	PRIMARY KEY (user_id, device_id)
);

-- One-time keys are claimed in upload order: key_nid grows with every
-- upload, and a claim deletes the lowest, so no key is handed out twice.
CREATE TABLE keys_one_time_keys (
	key_nid   BIGSERIAL PRIMARY KEY,
	user_id   TEXT NOT NULL,
	device_id TEXT NOT NULL,
	algorithm TEXT NOT NULL,
	key_id    TEXT NOT NULL,
	key_json  TEXT NOT NULL,
	UNIQUE (user_id, device_id, algorithm, key_id)
);
CREATE INDEX keys_one_time_keys_claim ON keys_one_time_keys (user_id, device_id, algorithm, key_nid);

-- At most one fallback key per device and algorithm; used is set when a
-- claim handed it out because no one-time key was left.
CREATE TABLE keys_fallback_keys (
	user_id   TEXT NOT NULL,
	device_id TEXT NOT NULL,
	algorithm TEXT NOT NULL,
	key_id    TEXT NOT NULL,
	key_json  TEXT NOT NULL,
	used      BOOLEAN NOT NULL DEFAULT FALSE,
	PRIMARY KEY (user_id, device_id, algorithm)
);

-- key_type is master, self_signing or user_signing; public_key is the
-- unpadded base64 ed25519 key, which is also its key ID's version.
CREATE TABLE keys_cross_signing_keys (
	user_id    TEXT NOT NULL,
	key_type   TEXT NOT NULL,
	public_key TEXT NOT NULL,
	key_json   TEXT NOT NULL,
	PRIMARY KEY (user_id, key_type)
);

-- target_key_id is a device ID or a cross-signing public key of
-- target_user_id; signer_key_id is the full key ID ("ed25519:...").
CREATE TABLE keys_signatures (
	target_user_id TEXT NOT NULL,
	target_key_id  TEXT NOT NULL,
	signer_user_id TEXT NOT NULL,
	signer_key_id  TEXT NOT NULL,
	signature      TEXT NOT NULL,
	PRIMARY KEY (target_user_id, target_key_id, signer_user_id, signer_key_id)
);
CREATE INDEX keys_signatures_signer ON keys_signatures (signer_user_id, signer_key_id);

-- Backup versions are numbered from one sequence, so a deleted version's
-- number never comes back; etag changes with every change of its keys.
CREATE TABLE keys_backup_versions (
	version   BIGSERIAL PRIMARY KEY,
	user_id   TEXT NOT NULL,
	algorithm TEXT NOT NULL,
	auth_data TEXT NOT NULL,
	etag      BIGINT NOT NULL DEFAULT 0,
	deleted   BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX keys_backup_versions_user ON keys_backup_versions (user_id, version);

CREATE TABLE keys_backup_keys (
	version             BIGINT NOT NULL,
	room_id             TEXT NOT NULL,
	session_id          TEXT NOT NULL,
	first_message_index BIGINT NOT NULL,
	forwarded_count     BIGINT NOT NULL,
	is_verified         BOOLEAN NOT NULL,
	session_data        TEXT NOT NULL,
	PRIMARY KEY (version, room_id, session_id)
);

-- A /sendToDevice transaction already carried out, so a retry is not
-- delivered twice.
CREATE TABLE keys_to_device_txns (
	user_id    TEXT NOT NULL,
	device_id  TEXT NOT NULL,
	txn_id     TEXT NOT NULL,
	created_ts BIGINT NOT NULL,
	PRIMARY KEY (user_id, device_id, txn_id)
);
CREATE INDEX keys_to_device_txns_created ON keys_to_device_txns (created_ts);
` + outbox.Schema("keys_to_device_outbox") + outbox.Schema("keys_device_list_outbox"),
}}
