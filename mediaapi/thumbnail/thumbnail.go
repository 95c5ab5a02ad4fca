package thumbnail

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// The thumbnail methods of the spec.
const (
	Crop  = "crop"
	Scale = "scale"
)

// Spec is one thumbnail asked for: the smallest size the client wants.
type Spec struct {
	Width, Height int
	Method        string
	// Animated asks for an animated thumbnail of an animated image.
	Animated bool
}

// Result is an encoded thumbnail.
type Result struct {
	Spec          Spec
	Data          []byte
	ContentType   string
	Width, Height int
	Animated      bool
}

// Oriented is the size of the image as displayed, after its EXIF
// orientation (5 to 8 turn it a quarter).
func (s Source) Oriented() (w, h int) {
	if s.Orientation >= 5 {
		return s.Height, s.Width
	}
	return s.Width, s.Height
}

// Dimensions is the size of the thumbnail of a w x h image for spec, and
// the part of the image it shows. It never upscales: "scale" fits the
// image inside the asked box, "crop" fills a box of the asked aspect
// ratio, shrunk to fit inside the image when the image is smaller.
func Dimensions(w, h int, s Spec) (tw, th int, from image.Rectangle) {
	full := image.Rect(0, 0, w, h)
	if s.Method == Crop {
		tw, th = s.Width, s.Height
		if tw > w || th > h {
			f := min(float64(w)/float64(tw), float64(h)/float64(th))
			tw, th = max(1, int(float64(tw)*f)), max(1, int(float64(th)*f))
		}
		cw, ch := w, h
		if w*th > h*tw {
			cw = max(1, h*tw/th)
		} else {
			ch = max(1, w*th/tw)
		}
		x0, y0 := (w-cw)/2, (h-ch)/2
		return tw, th, image.Rect(x0, y0, x0+cw, y0+ch)
	}
	if w <= s.Width && h <= s.Height {
		return w, h, full
	}
	f := min(float64(s.Width)/float64(w), float64(s.Height)/float64(h))
	return max(1, int(float64(w)*f+0.5)), max(1, int(float64(h)*f+0.5)), full
}

// Make decodes the image in r once and returns one thumbnail per spec.
// src must come from Inspect, which bounded its size. An animated
// thumbnail is made only of an animated GIF; other specs asking for
// animation get a still thumbnail, as the spec allows.
func Make(r io.ReadSeeker, src Source, specs []Spec) ([]Result, error) {
	out := make([]Result, 0, len(specs))
	var still []Spec
	for _, s := range specs {
		if s.Method != Crop && s.Method != Scale || s.Width < 1 || s.Height < 1 {
			return nil, fmt.Errorf("thumbnail: bad spec %+v", s)
		}
		if s.Animated && src.Animated() && src.Format == "gif" {
			res, err := animatedGIF(r, s)
			if err != nil {
				return nil, err
			}
			out = append(out, res)
			continue
		}
		still = append(still, s)
	}
	if len(still) == 0 {
		return out, nil
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	img, err := decodeStill(r, src)
	if err != nil {
		return nil, err
	}
	for _, s := range still {
		res, err := stillThumbnail(img, src, s)
		if err != nil {
			return nil, err
		}
		out = append(out, res)
	}
	return out, nil
}

func decodeStill(r io.Reader, src Source) (image.Image, error) {
	var img image.Image
	var err error
	switch {
	case src.Format == "webp" && src.Animated():
		var file []byte
		if file, err = io.ReadAll(r); err == nil {
			if file, err = webpFirstFrame(file); err == nil {
				img, err = webp.Decode(bytes.NewReader(file))
			}
		}
	case src.Format == "gif":
		img, err = gif.Decode(bufio.NewReader(r)) // the first frame only
	default:
		img, _, err = image.Decode(bufio.NewReader(r))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	if b := img.Bounds(); int64(b.Dx())*int64(b.Dy()) > src.Pixels {
		return nil, fmt.Errorf("%w: decoded frame larger than its header said", ErrUnsupported)
	}
	return img, nil
}

func stillThumbnail(img image.Image, src Source, s Spec) (Result, error) {
	b := img.Bounds()
	// Work in the stored orientation: a quarter turn swaps the box.
	box := s
	if src.Orientation >= 5 {
		box.Width, box.Height = s.Height, s.Width
	}
	tw, th, from := Dimensions(b.Dx(), b.Dy(), box)
	dst := image.NewRGBA(image.Rect(0, 0, tw, th))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, from.Add(b.Min), draw.Src, nil)
	oriented := orient(dst, src.Orientation)
	res := Result{Spec: s, Width: oriented.Bounds().Dx(), Height: oriented.Bounds().Dy()}
	var buf bytes.Buffer
	var err error
	if oriented.Opaque() && (src.Format == "jpeg" || src.Format == "webp") {
		res.ContentType = "image/jpeg"
		err = jpeg.Encode(&buf, oriented, &jpeg.Options{Quality: 85})
	} else {
		res.ContentType = "image/png"
		err = png.Encode(&buf, oriented)
	}
	if err != nil {
		return Result{}, fmt.Errorf("thumbnail: encoding: %w", err)
	}
	res.Data = buf.Bytes()
	return res, nil
}

// orient applies an EXIF orientation to a (small) thumbnail.
// https://www.exif.org/Exif2-2.PDF (tag 0x0112)
func orient(m *image.RGBA, o int) *image.RGBA {
	if o <= 1 || o > 8 {
		return m
	}
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	ow, oh := w, h
	if o >= 5 {
		ow, oh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, ow, oh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var nx, ny int
			switch o {
			case 2:
				nx, ny = w-1-x, y
			case 3:
				nx, ny = w-1-x, h-1-y
			case 4:
				nx, ny = x, h-1-y
			case 5:
				nx, ny = y, x
			case 6:
				nx, ny = h-1-y, x
			case 7:
				nx, ny = h-1-y, w-1-x
			case 8:
				nx, ny = y, w-1-x
			}
			copy(out.Pix[out.PixOffset(nx, ny):][:4], m.Pix[m.PixOffset(x, y):][:4])
		}
	}
	return out
}
