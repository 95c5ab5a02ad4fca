package mediaapi

import (
	"crypto/rand"
	"fmt"

	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
)

// maxMediaIDLength bounds media IDs from other servers; ours are
// mediaIDLength long.
const (
	mediaIDLength    = 24
	maxMediaIDLength = 255
)

// mediaKey names one piece of media: mxc://origin/mediaID.
type mediaKey struct {
	Origin  string
	MediaID string
}

func (k mediaKey) URI() string    { return "mxc://" + k.Origin + "/" + k.MediaID }
func (k mediaKey) String() string { return k.Origin + "/" + k.MediaID }

const mediaIDAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newMediaID returns a random media ID: 24 characters of 62, 142 bits.
func newMediaID() string {
	return randomFrom(mediaIDAlphabet, mediaIDLength)
}

func randomFrom(alphabet string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		// 256 % 62 biases a few letters by under 2%: irrelevant for
		// unguessability at 142 bits.
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// validMediaID is the spec's rule: only A-Z a-z 0-9 _ and -, so a media
// ID can never name a path (no "..", no "/", no encodings of them).
// https://spec.matrix.org/latest/client-server-api/#security-considerations-5
func validMediaID(s string) bool {
	if s == "" || len(s) > maxMediaIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// parseKey validates the server name and media ID of a request path.
func parseKey(serverName, mediaID string) (mediaKey, error) {
	if _, err := id.ParseServerName(serverName); err != nil {
		return mediaKey{}, errcode.InvalidParam(fmt.Sprintf("%q is not a server name", serverName))
	}
	if !validMediaID(mediaID) {
		return mediaKey{}, errcode.InvalidParam("a media ID may only hold A-Z, a-z, 0-9, _ and -")
	}
	return mediaKey{Origin: serverName, MediaID: mediaID}, nil
}
