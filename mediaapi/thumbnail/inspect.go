// Package thumbnail makes thumbnails of images with bounded memory: the
// size of an image (every frame of an animation counted) is read from its
// headers and checked against a pixel limit before anything is decoded,
// so a small file that expands to gigabytes (a decompression bomb) is
// refused cheaply.
//
// https://spec.matrix.org/latest/client-server-api/#thumbnails
package thumbnail

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // registered decoders are the formats thumbnailed
	_ "image/png"
	"io"

	_ "golang.org/x/image/webp"
)

// ErrTooLarge is returned for images over the pixel limit.
var ErrTooLarge = errors.New("thumbnail: image has too many pixels to decode")

// ErrUnsupported is returned for content that is not an image of a
// format this package decodes (JPEG, PNG, GIF, WebP) or is malformed.
var ErrUnsupported = errors.New("thumbnail: not an image that can be thumbnailed")

// Source describes an image from its headers alone.
type Source struct {
	Format        string // "jpeg", "png", "gif" or "webp"
	Width, Height int
	// Frames is the number of frames (1 for still images); Pixels the
	// pixels of all frames together, what decoding them all costs.
	Frames int
	Pixels int64
	// Orientation is the EXIF orientation of a JPEG (1-8, 1 upright).
	Orientation int
}

// Animated reports whether the image has more than one frame.
func (s Source) Animated() bool { return s.Frames > 1 }

// Inspect reads the headers of the image in r and checks it against
// maxPixels, leaving r at its start.
func Inspect(r io.ReadSeeker, maxPixels int64) (Source, error) {
	cfg, format, err := image.DecodeConfig(bufio.NewReader(r))
	if err != nil {
		return Source{}, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return Source{}, err
	}
	src := Source{Format: format, Width: cfg.Width, Height: cfg.Height, Frames: 1, Orientation: 1}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return Source{}, fmt.Errorf("%w: empty image", ErrUnsupported)
	}
	src.Pixels = int64(cfg.Width) * int64(cfg.Height)
	if src.Pixels > maxPixels {
		return src, fmt.Errorf("%w: %dx%d", ErrTooLarge, cfg.Width, cfg.Height)
	}
	switch format {
	case "gif":
		frames, pixels, err := scanGIF(bufio.NewReader(r), cfg.Width, cfg.Height, maxPixels)
		if err != nil {
			return src, err
		}
		src.Frames, src.Pixels = frames, pixels
	case "webp":
		animated, err := webpAnimated(r)
		if err != nil {
			return src, err
		}
		if animated {
			// Only the first frame is ever decoded.
			src.Frames = 2
		}
	case "jpeg":
		src.Orientation = jpegOrientation(bufio.NewReader(r))
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return Source{}, err
	}
	return src, nil
}
