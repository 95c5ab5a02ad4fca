package thumbnail

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"testing"

	"github.com/ocomms/ocomms/mediaapi/thumbnail/thumbnailtest"
)

func TestDimensionsNeverUpscaleAndKeepTheMethodsPromises(t *testing.T) {
	tests := []struct {
		name   string
		w, h   int
		spec   Spec
		tw, th int
		from   image.Rectangle
	}{
		{"scale fits a wide image in the box", 1600, 900, Spec{320, 240, Scale, false}, 320, 180, image.Rect(0, 0, 1600, 900)},
		{"scale fits a tall image in the box", 900, 1600, Spec{320, 240, Scale, false}, 135, 240, image.Rect(0, 0, 900, 1600)},
		{"scale keeps an image smaller than the box", 100, 50, Spec{320, 240, Scale, false}, 100, 50, image.Rect(0, 0, 100, 50)},
		{"crop fills the box from the centre", 1600, 900, Spec{96, 96, Crop, false}, 96, 96, image.Rect(350, 0, 1250, 900)},
		{"crop shrinks the box to fit a small image", 50, 20, Spec{96, 96, Crop, false}, 20, 20, image.Rect(15, 0, 35, 20)},
		{"crop of a tall image keeps the middle", 100, 400, Spec{32, 32, Crop, false}, 32, 32, image.Rect(0, 150, 100, 250)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tw, th, from := Dimensions(tt.w, tt.h, tt.spec)
			if tw != tt.tw || th != tt.th || from != tt.from {
				t.Fatalf("got %dx%d from %v, want %dx%d from %v", tw, th, from, tt.tw, tt.th, tt.from)
			}
		})
	}
}

func encode(t *testing.T, m image.Image, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case "jpeg":
		err = jpeg.Encode(&buf, m, nil)
	case "png":
		err = png.Encode(&buf, m)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gradient(w, h int, alpha uint8) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), 128, alpha})
		}
	}
	return m
}

func animation(t *testing.T, frames, w, h int) []byte {
	t.Helper()
	pal := color.Palette{color.Black, color.White, color.RGBA{255, 0, 0, 255}}
	g := &gif.GIF{}
	for i := 0; i < frames; i++ {
		m := image.NewPaletted(image.Rect(0, 0, w, h), pal)
		for j := range m.Pix {
			m.Pix[j] = uint8(i % 3)
		}
		g.Image, g.Delay = append(g.Image, m), append(g.Delay, 5)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMakeThumbnailsOfEachFormat(t *testing.T) {
	webpAnimated, err := os.ReadFile("testdata/animated.webp")
	if err != nil {
		t.Fatal(err)
	}
	webpLossy, err := os.ReadFile("testdata/animated-lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		data     []byte
		spec     Spec
		wantType string
		w, h     int
		animated bool
	}{
		{"a photo gives a JPEG", encode(t, gradient(640, 480, 255), "jpeg"), Spec{320, 240, Scale, false}, "image/jpeg", 320, 240, false},
		{"a transparent PNG stays PNG", encode(t, gradient(200, 100, 100), "png"), Spec{96, 96, Crop, false}, "image/png", 96, 96, false},
		{"a GIF's first frame", animation(t, 3, 64, 64), Spec{32, 32, Crop, false}, "image/png", 32, 32, false},
		{"an animated GIF when asked", animation(t, 3, 64, 64), Spec{32, 32, Crop, true}, "image/gif", 32, 32, true},
		{"an animated WebP's first frame", webpAnimated, Spec{24, 16, Scale, true}, "image/jpeg", 24, 16, false},
		{"a lossy animated WebP's first frame", webpLossy, Spec{24, 16, Scale, false}, "image/jpeg", 24, 16, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bytes.NewReader(tt.data)
			src, err := Inspect(r, 10_000_000)
			if err != nil {
				t.Fatalf("inspect: %v", err)
			}
			res, err := Make(r, src, []Spec{tt.spec})
			if err != nil {
				t.Fatalf("make: %v", err)
			}
			got := res[0]
			if got.ContentType != tt.wantType || got.Width != tt.w || got.Height != tt.h || got.Animated != tt.animated {
				t.Fatalf("got %s %dx%d animated=%v, want %s %dx%d animated=%v", got.ContentType, got.Width, got.Height, got.Animated, tt.wantType, tt.w, tt.h, tt.animated)
			}
			cfg, _, err := image.DecodeConfig(bytes.NewReader(got.Data))
			if err != nil || cfg.Width != tt.w || cfg.Height != tt.h {
				t.Fatalf("thumbnail decodes to %+v, %v", cfg, err)
			}
			if tt.animated {
				g, err := gif.DecodeAll(bytes.NewReader(got.Data))
				if err != nil || len(g.Image) != 3 {
					t.Fatalf("animated thumbnail: %v frames, %v", len(g.Image), err)
				}
			}
		})
	}
}

func TestInspectRefusesBombsBeforeDecoding(t *testing.T) {
	tests := []struct {
		name      string
		data      []byte
		maxPixels int64
		want      error
	}{
		{"a PNG claiming 100000x100000 pixels", thumbnailtest.BombPNG(100000, 100000), 32_000_000, ErrTooLarge},
		{"a GIF whose frames add up over the limit", animation(t, 40, 100, 100), 300_000, ErrTooLarge},
		{"bytes that are no image", []byte("<html><script>alert(1)</script></html>"), 32_000_000, ErrUnsupported},
		{"a truncated PNG", encode(t, gradient(10, 10, 255), "png")[:20], 32_000_000, ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Inspect(bytes.NewReader(tt.data), tt.maxPixels); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestEXIFOrientationIsApplied(t *testing.T) {
	// A 40x20 JPEG marked "rotate 90° clockwise" (6) displays as 20x40.
	plain := encode(t, gradient(40, 20, 255), "jpeg")
	exif := []byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00")
	seg := append([]byte{0xFF, 0xE1, byte((len(exif) + 2) >> 8), byte(len(exif) + 2)}, exif...)
	data := append(append([]byte{0xFF, 0xD8}, seg...), plain[2:]...)
	r := bytes.NewReader(data)
	src, err := Inspect(r, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if w, h := src.Oriented(); src.Orientation != 6 || w != 20 || h != 40 {
		t.Fatalf("orientation %d, oriented %dx%d", src.Orientation, w, h)
	}
	res, err := Make(r, src, []Spec{{10, 20, Scale, false}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Width != 10 || res[0].Height != 20 {
		t.Fatalf("thumbnail %dx%d, want 10x20", res[0].Width, res[0].Height)
	}
}
