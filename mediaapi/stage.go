package mediaapi

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/ocomms/ocomms/spec/errcode"
)

// sniffLength is how much of an upload content detection reads.
const sniffLength = 3072

// staged is an upload written to a synced temporary file in the local
// store's directory, hashed on the way.
type staged struct {
	file *os.File
	sha  string
	size int64
	head []byte
}

func (m *MediaAPI) stage(body io.Reader) (*staged, error) {
	f, err := os.CreateTemp(m.stores.local.TempDir(), "upload-*")
	if err != nil {
		return nil, fmt.Errorf("staging upload: %w", err)
	}
	st := &staged{file: f}
	h := sha256.New()
	head := &headWriter{limit: sniffLength}
	st.size, err = io.Copy(io.MultiWriter(f, h, head), body)
	if err == nil {
		// The bytes must be on disk before a row says they are stored:
		// the local store hard-links this very file.
		err = f.Sync()
	}
	if err != nil {
		st.remove()
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errcode.TooLarge(fmt.Sprintf("Upload too large: the limit is %d bytes", tooLarge.Limit))
		}
		return nil, fmt.Errorf("staging upload: %w", err)
	}
	st.sha, st.head = hex.EncodeToString(h.Sum(nil)), head.buf
	return st, nil
}

func (s *staged) remove() {
	s.file.Close()
	os.Remove(s.file.Name())
}

// rewind seeks the staged file back to its start.
func (s *staged) rewind() (io.ReadSeeker, error) {
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return s.file, nil
}

func (s *staged) blob() stagedBlob {
	return stagedBlob{sha: s.sha, size: s.size, open: func() (io.Reader, error) { return s.rewind() }}
}

type headWriter struct {
	buf   []byte
	limit int
}

func (w *headWriter) Write(p []byte) (int, error) {
	if room := w.limit - len(w.buf); room > 0 {
		w.buf = append(w.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func msDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }
