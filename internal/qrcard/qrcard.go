// Package qrcard draws the Meeting Connect card of a video system: a QR
// code of the system's connect page with the system's name and video
// address printed under it, as a PNG sized for printing.
package qrcard

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"

	"github.com/skip2/go-qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// The card is 4 × 5 inches at 300 dots per inch.
const (
	Width  = 1200
	Height = 1500
	// DPI is the resolution the card is drawn for.
	DPI = 300

	margin = 80   // left and right, and above the code
	qrSize = 1000 // the most the code may take, quiet zone included
)

// Card is what a card shows.
type Card struct {
	Link    string // what the QR code encodes: the connect page's URL
	Name    string // the video system's name
	Address string // its video address
}

// line is one line of text under the code.
type line struct {
	text     string
	face     *opentype.Font
	size     float64 // in pixels; shrunk down to minSize to fit
	minSize  float64
	baseline int
	gray     uint8
}

// PNG draws the card. The QR code uses the highest error correction, so a
// worn or partly covered print still scans.
func PNG(c Card) ([]byte, error) {
	q, err := qrcode.New(c.Link, qrcode.Highest)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	img := image.NewGray(image.Rect(0, 0, Width, Height))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)

	// Whole pixels per module keep every module the same size, which
	// scanners like better than a smoothly scaled code.
	bits := q.Bitmap() // includes the quiet zone
	scale := qrSize / len(bits)
	size := scale * len(bits)
	left, top := (Width-size)/2, margin
	for y, row := range bits {
		for x, dark := range row {
			if dark {
				draw.Draw(img, image.Rect(left+x*scale, top+y*scale, left+(x+1)*scale, top+(y+1)*scale), image.Black, image.Point{}, draw.Src)
			}
		}
	}

	bold, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, err
	}
	regular, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, err
	}
	mono, err := opentype.Parse(gomono.TTF)
	if err != nil {
		return nil, err
	}
	below := top + size
	lines := []line{
		{text: c.Name, face: bold, size: 72, minSize: 40, baseline: below + 110, gray: 0},
		{text: c.Address, face: mono, size: 44, minSize: 26, baseline: below + 200, gray: 0},
		{text: "Scan to bring this room into your video meeting", face: regular, size: 36, minSize: 24, baseline: below + 300, gray: 0x55},
	}
	for _, l := range lines {
		if err := drawCentered(img, l); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode card: %w", err)
	}
	return buf.Bytes(), nil
}

// drawCentered writes one line centred across the card, shrinking the type
// and then cutting the text until it fits between the margins.
func drawCentered(img *image.Gray, l line) error {
	text := strings.Join(strings.Fields(l.text), " ")
	if text == "" {
		return nil
	}
	room := fixed.I(Width - 2*margin)
	var face font.Face
	for size := l.size; ; size -= 2 {
		f, err := opentype.NewFace(l.face, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			return fmt.Errorf("font face: %w", err)
		}
		face = f
		if font.MeasureString(face, text) <= room || size-2 < l.minSize {
			break
		}
	}
	runes := []rune(text)
	for font.MeasureString(face, text) > room && len(runes) > 1 {
		runes = runes[:len(runes)-1]
		text = strings.TrimSpace(string(runes)) + "…"
	}
	d := font.Drawer{Dst: img, Src: image.NewUniform(color.Gray{Y: l.gray}), Face: face}
	w := d.MeasureString(text)
	d.Dot = fixed.Point26_6{X: (fixed.I(Width) - w) / 2, Y: fixed.I(l.baseline)}
	d.DrawString(text)
	return nil
}
