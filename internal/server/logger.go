package server

import (
	"io"
	"log/slog"

	"github.com/ocomms/ocomms/internal/config"
)

// NewLogger builds the process logger from the logging section.
func NewLogger(cfg config.Logging, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
