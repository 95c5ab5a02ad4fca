package thumbnail

import (
	"bufio"
	"fmt"
	"io"
)

// scanGIF walks the blocks of a GIF without decompressing anything and
// returns its frame count and the pixels of all frames together, failing
// with ErrTooLarge as soon as they exceed maxPixels. gif.DecodeAll would
// allocate every frame before anyone could count them.
// https://www.w3.org/Graphics/GIF/spec-gif89a.txt
func scanGIF(r *bufio.Reader, width, height int, maxPixels int64) (frames int, pixels int64, err error) {
	var header [13]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return 0, 0, fmt.Errorf("%w: gif header: %v", ErrUnsupported, err)
	}
	if header[10]&0x80 != 0 { // global colour table
		if _, err := r.Discard(3 << (int(header[10]&7) + 1)); err != nil {
			return 0, 0, fmt.Errorf("%w: gif colour table: %v", ErrUnsupported, err)
		}
	}
	for {
		b, err := r.ReadByte()
		if err == io.EOF && frames > 0 {
			return frames, pixels, nil // a missing trailer, as decoders tolerate
		}
		if err != nil {
			return 0, 0, fmt.Errorf("%w: gif truncated: %v", ErrUnsupported, err)
		}
		switch b {
		case 0x21: // extension: label, then sub-blocks
			if _, err := r.ReadByte(); err != nil {
				return 0, 0, fmt.Errorf("%w: gif extension: %v", ErrUnsupported, err)
			}
			if err := skipSubBlocks(r); err != nil {
				return 0, 0, err
			}
		case 0x2C: // image descriptor
			var d [9]byte
			if _, err := io.ReadFull(r, d[:]); err != nil {
				return 0, 0, fmt.Errorf("%w: gif image descriptor: %v", ErrUnsupported, err)
			}
			left, top := int(d[0])|int(d[1])<<8, int(d[2])|int(d[3])<<8
			w, h := int(d[4])|int(d[5])<<8, int(d[6])|int(d[7])<<8
			if left+w > width || top+h > height {
				return 0, 0, fmt.Errorf("%w: gif frame outside the image", ErrUnsupported)
			}
			frames++
			// Each frame is composed onto a full canvas for an animated
			// thumbnail, so a frame costs the canvas, however small.
			pixels += int64(width) * int64(height)
			if pixels > maxPixels {
				return frames, pixels, fmt.Errorf("%w: %d frames of %dx%d", ErrTooLarge, frames, width, height)
			}
			if d[8]&0x80 != 0 { // local colour table
				if _, err := r.Discard(3 << (int(d[8]&7) + 1)); err != nil {
					return 0, 0, fmt.Errorf("%w: gif colour table: %v", ErrUnsupported, err)
				}
			}
			if _, err := r.ReadByte(); err != nil { // LZW minimum code size
				return 0, 0, fmt.Errorf("%w: gif image data: %v", ErrUnsupported, err)
			}
			if err := skipSubBlocks(r); err != nil {
				return 0, 0, err
			}
		case 0x3B: // trailer
			if frames == 0 {
				return 0, 0, fmt.Errorf("%w: gif without frames", ErrUnsupported)
			}
			return frames, pixels, nil
		default:
			return 0, 0, fmt.Errorf("%w: gif block 0x%02x", ErrUnsupported, b)
		}
	}
}

func skipSubBlocks(r *bufio.Reader) error {
	for {
		n, err := r.ReadByte()
		if err != nil {
			return fmt.Errorf("%w: gif data: %v", ErrUnsupported, err)
		}
		if n == 0 {
			return nil
		}
		if _, err := r.Discard(int(n)); err != nil {
			return fmt.Errorf("%w: gif data: %v", ErrUnsupported, err)
		}
	}
}
