package thumbnail

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/gif"
	"io"
)

// animatedGIF scales every frame of a GIF. Frames keep their palettes,
// offsets, delays and disposal, so the animation composes as before; the
// sampling is nearest-neighbour on palette indexes, which needs no
// re-quantisation and costs one lookup per output pixel.
func animatedGIF(r io.ReadSeeker, s Spec) (Result, error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return Result{}, err
	}
	g, err := gif.DecodeAll(bufio.NewReader(r))
	if err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	tw, th, from := Dimensions(g.Config.Width, g.Config.Height, s)
	out := &gif.GIF{
		Delay: g.Delay, Disposal: g.Disposal, LoopCount: g.LoopCount, BackgroundIndex: g.BackgroundIndex,
		Config: image.Config{ColorModel: g.Config.ColorModel, Width: tw, Height: th},
	}
	sx := float64(from.Dx()) / float64(tw)
	sy := float64(from.Dy()) / float64(th)
	for _, f := range g.Image {
		fb := f.Bounds()
		// The frame's rectangle in thumbnail coordinates, at least a pixel.
		x0 := clamp(int(float64(fb.Min.X-from.Min.X)/sx), 0, tw-1)
		y0 := clamp(int(float64(fb.Min.Y-from.Min.Y)/sy), 0, th-1)
		x1 := clamp(int(float64(fb.Max.X-from.Min.X)/sx+0.999), x0+1, tw)
		y1 := clamp(int(float64(fb.Max.Y-from.Min.Y)/sy+0.999), y0+1, th)
		dst := image.NewPaletted(image.Rect(x0, y0, x1, y1), f.Palette)
		for y := y0; y < y1; y++ {
			srcY := clamp(from.Min.Y+int((float64(y)+0.5)*sy), fb.Min.Y, fb.Max.Y-1)
			for x := x0; x < x1; x++ {
				srcX := clamp(from.Min.X+int((float64(x)+0.5)*sx), fb.Min.X, fb.Max.X-1)
				dst.Pix[dst.PixOffset(x, y)] = f.Pix[f.PixOffset(srcX, srcY)]
			}
		}
		out.Image = append(out.Image, dst)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, out); err != nil {
		return Result{}, fmt.Errorf("thumbnail: encoding gif: %w", err)
	}
	return Result{Spec: s, Data: buf.Bytes(), ContentType: "image/gif", Width: tw, Height: th, Animated: true}, nil
}

func clamp(v, lo, hi int) int {
	return max(lo, min(v, hi))
}
