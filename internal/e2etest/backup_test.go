//go:build goolm

package e2etest

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"testing"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto/backup"
	"maunium.net/go/mautrix/crypto/signatures"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// backUpRoomKeys creates a server-side key backup signed by the user's
// master key and stores every Megolm session u knows in it, encrypted
// with a new backup key, which it returns (what a user keeps as the
// recovery key).
//
// https://spec.matrix.org/latest/client-server-api/#server-side-key-backups
func (u *user) backUpRoomKeys(t *testing.T) *backup.MegolmBackupKey {
	t.Helper()
	ctx := t.Context()
	key, err := backup.NewMegolmBackupKey()
	if err != nil {
		t.Fatal(err)
	}
	auth := backup.MegolmAuthData{PublicKey: id.Ed25519(base64.RawStdEncoding.EncodeToString(key.PublicKey().Bytes()))}
	master := u.mach.CrossSigningKeys.MasterKey
	sig, err := master.SignJSON(auth)
	if err != nil {
		t.Fatal(err)
	}
	auth.Signatures = signatures.NewSingleSignature(u.cli.UserID, id.KeyAlgorithmEd25519, master.PublicKey().String(), sig)
	created, err := u.cli.CreateKeyBackupVersion(ctx, &mautrix.ReqRoomKeysVersionCreate[backup.MegolmAuthData]{
		Algorithm: id.KeyBackupAlgorithmMegolmBackupV1, AuthData: auth,
	})
	if err != nil {
		t.Fatalf("creating the key backup: %v", err)
	}
	sessions, err := u.mach.CryptoStore.GetGroupSessionsWithoutKeyBackupVersion(ctx, created.Version).AsList()
	if err != nil {
		t.Fatal(err)
	}
	if len(sessions) == 0 {
		t.Fatal("no room keys to back up")
	}
	req := &mautrix.ReqKeyBackup{Rooms: map[id.RoomID]mautrix.ReqRoomKeyBackup{}}
	for _, s := range sessions {
		first := s.Internal.FirstKnownIndex()
		exported, err := s.Internal.Export(first)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := backup.EncryptSessionData(key, backup.MegolmSessionData{
			Algorithm:          id.AlgorithmMegolmV1,
			ForwardingKeyChain: s.ForwardingChains,
			SenderClaimedKeys:  backup.SenderClaimedKeys{Ed25519: s.SigningKey},
			SenderKey:          s.SenderKey,
			SessionKey:         string(exported),
		})
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(enc)
		if err != nil {
			t.Fatal(err)
		}
		room := req.Rooms[s.RoomID]
		if room.Sessions == nil {
			room.Sessions = map[id.SessionID]mautrix.ReqKeyBackupData{}
		}
		room.Sessions[s.ID()] = mautrix.ReqKeyBackupData{
			FirstMessageIndex: int(first), ForwardedCount: len(s.ForwardingChains), IsVerified: true, SessionData: data,
		}
		req.Rooms[s.RoomID] = room
	}
	stored, err := u.cli.PutKeysInBackup(ctx, created.Version, req)
	if err != nil {
		t.Fatalf("storing room keys in the backup: %v", err)
	}
	if stored.Count != len(sessions) {
		t.Fatalf("the backup counts %d keys, want %d", stored.Count, len(sessions))
	}
	return key
}

// restoreRoomKeys imports the latest backup's room keys into u's Olm
// machine, trusting the backup because its public key derives from key.
func (u *user) restoreRoomKeys(t *testing.T, key *backup.MegolmBackupKey) {
	t.Helper()
	version, err := u.mach.DownloadAndStoreLatestKeyBackup(t.Context(), key)
	if err != nil || version == "" {
		t.Fatalf("restoring the key backup: version %q, %v", version, err)
	}
}

// decryptHistory pages back through the room with /messages and checks
// that u decrypts every one of bodies.
func (u *user) decryptHistory(t *testing.T, roomID id.RoomID, bodies ...string) {
	t.Helper()
	ctx := t.Context()
	resp, err := u.cli.Messages(ctx, roomID, "", "", mautrix.DirectionBackward, nil, 100)
	if err != nil {
		t.Fatalf("reading the room's history: %v", err)
	}
	var read []string
	for _, ev := range resp.Chunk {
		if ev.Type != event.EventEncrypted {
			continue
		}
		ev.RoomID = roomID
		if err := ev.Content.ParseRaw(ev.Type); err != nil {
			t.Fatal(err)
		}
		dec, err := u.mach.DecryptMegolmEvent(ctx, ev)
		if err != nil {
			t.Fatalf("%s's new device decrypting %s: %v", u.cli.UserID, ev.ID, err)
		}
		read = append(read, dec.Content.AsMessage().Body)
	}
	for _, body := range bodies {
		if !slices.Contains(read, body) {
			t.Errorf("the new device read %q, not %q", read, body)
		}
	}
}
