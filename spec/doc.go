// Package spec is the Matrix protocol as pure code: everything a homeserver
// must compute exactly as every other homeserver does. The sub-packages do no
// I/O and import nothing from the rest of the project, so every other
// component may depend on them and they can be tested on the spec's own
// vectors alone.
//
//   - canonicaljson: canonical JSON
//   - b64: unpadded base64
//   - id: user, room, event, alias, server, device and key identifiers
//   - signing: ed25519 keys and signed JSON
//   - errcode: the spec's error codes as typed values
//   - roomversion: which algorithms each room version uses
//   - event: PDU formats, hashes, event IDs, redaction, building events
//   - auth: the authorization rules
//   - stateres: state resolution v1, v2 and v2.1
//   - pushrules: push-rule evaluation
package spec
