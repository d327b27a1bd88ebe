// Package qrcardtest reads back the QR code of a Meeting Connect card in
// tests.
package qrcardtest

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Decode returns the text of the QR code on a card PNG. It reads the card as
// a whole first, as a phone would. The decoder's finder-pattern detector
// misses about one valid code in a hundred (other readers, such as zbar,
// read those), so it then reads the code's own square, module by module.
func Decode(t testing.TB, b []byte) (string, image.Image) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err == nil {
		return res.GetText(), img
	}
	square := codeSquare(img)
	bmp, err2 := gozxing.NewBinaryBitmapFromImage(square)
	if err2 != nil {
		t.Fatal(err2)
	}
	res, err2 = qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err2 != nil {
		t.Fatalf("the card's QR code does not decode: %v; read as a pure code: %v", err, err2)
	}
	return res.GetText(), img
}

// codeSquare copies the code onto a white square with a quiet zone. The
// code is the topmost dark thing on the card: its first dark row gives its
// top, its widest extent its sides, and being square, its bottom.
func codeSquare(img image.Image) image.Image {
	b := img.Bounds()
	minX, minY, maxX, maxY := b.Max.X, b.Max.Y, b.Min.X, b.Min.Y
	limit := b.Min.Y + b.Dx()*3/4 // above the text
	for y := b.Min.Y; y < limit && y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if g := color.GrayModel.Convert(img.At(x, y)).(color.Gray); g.Y < 128 {
				minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x+1), max(maxY, y+1)
			}
		}
	}
	if maxX <= minX {
		return img
	}
	maxY = minY + (maxX - minX)
	const pad = 40
	out := image.NewGray(image.Rect(0, 0, maxX-minX+2*pad, maxY-minY+2*pad))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(out, image.Rect(pad, pad, pad+maxX-minX, pad+maxY-minY), img, image.Pt(minX, minY), draw.Src)
	return out
}
