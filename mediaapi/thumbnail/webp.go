package thumbnail

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// x/image/webp decodes still WebP images only. An animated WebP keeps each
// frame in an ANMF chunk holding an ordinary (ALPH +) VP8 or VP8L
// bitstream, so its first frame is decoded by wrapping that bitstream in a
// still-image container.
// https://developers.google.com/speed/webp/docs/riff_container

const webpAnimationFlag = 1 << 1

// webpAnimated reads the VP8X header, if any, for the animation flag.
func webpAnimated(r io.Reader) (bool, error) {
	var h [21]byte
	n, err := io.ReadFull(r, h[:])
	if err != nil && n < 16 {
		return false, fmt.Errorf("%w: webp header: %v", ErrUnsupported, err)
	}
	if string(h[0:4]) != "RIFF" || string(h[8:12]) != "WEBP" {
		return false, fmt.Errorf("%w: not a RIFF WEBP file", ErrUnsupported)
	}
	return string(h[12:16]) == "VP8X" && n == len(h) && h[20]&webpAnimationFlag != 0, nil
}

type riffChunk struct {
	id   string
	data []byte
}

func riffChunks(data []byte) ([]riffChunk, error) {
	var out []riffChunk
	for len(data) >= 8 {
		id, size := string(data[0:4]), binary.LittleEndian.Uint32(data[4:8])
		data = data[8:]
		if uint64(size) > uint64(len(data)) {
			return nil, fmt.Errorf("%w: webp chunk %q overruns the file", ErrUnsupported, id)
		}
		out = append(out, riffChunk{id: id, data: data[:size]})
		if size%2 == 1 && int(size) < len(data) {
			size++ // chunks are padded to an even length
		}
		data = data[size:]
	}
	return out, nil
}

func appendChunk(b []byte, id string, data []byte) []byte {
	b = append(b, id...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// webpFirstFrame returns the first frame of an animated WebP as a still
// WebP file.
func webpFirstFrame(file []byte) ([]byte, error) {
	if len(file) < 12 || string(file[0:4]) != "RIFF" || string(file[8:12]) != "WEBP" {
		return nil, fmt.Errorf("%w: not a RIFF WEBP file", ErrUnsupported)
	}
	chunks, err := riffChunks(file[12:])
	if err != nil {
		return nil, err
	}
	for _, c := range chunks {
		if c.id != "ANMF" || len(c.data) < 16 {
			continue
		}
		w := int(c.data[6]) | int(c.data[7])<<8 | int(c.data[8])<<16 + 1
		h := int(c.data[9]) | int(c.data[10])<<8 | int(c.data[11])<<16 + 1
		frame, err := riffChunks(c.data[16:])
		if err != nil {
			return nil, err
		}
		var alph, bitstream *riffChunk
		for i := range frame {
			switch frame[i].id {
			case "ALPH":
				alph = &frame[i]
			case "VP8 ", "VP8L":
				bitstream = &frame[i]
			}
		}
		if bitstream == nil {
			return nil, fmt.Errorf("%w: webp frame without a bitstream", ErrUnsupported)
		}
		var body []byte
		if alph != nil && bitstream.id == "VP8 " {
			vp8x := make([]byte, 10)
			vp8x[0] = 1 << 4 // alpha
			putUint24(vp8x[4:], w-1)
			putUint24(vp8x[7:], h-1)
			body = appendChunk(body, "VP8X", vp8x)
			body = appendChunk(body, "ALPH", alph.data)
		}
		body = appendChunk(body, bitstream.id, bitstream.data)
		var out bytes.Buffer
		out.WriteString("RIFF")
		_ = binary.Write(&out, binary.LittleEndian, uint32(4+len(body)))
		out.WriteString("WEBP")
		out.Write(body)
		return out.Bytes(), nil
	}
	return nil, fmt.Errorf("%w: animated webp without frames", ErrUnsupported)
}

func putUint24(b []byte, v int) {
	b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16)
}
