package roster

import (
	"archive/zip"
	"bytes"
	"companyadmin/internal/store/storetest"
	"compress/flate"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// bomb writes an xlsx file whose worksheet unpacks to about megabytes of
// XML while the file itself stays small. The worksheet's deflate stream is
// one compressed megabyte of rows repeated: each copy is compressed on its
// own and ends on a block boundary, so the copies concatenate into one
// valid stream, and the test never holds more than a megabyte of XML.
// With lie, the zip directory states a megabyte instead of the true size.
func bomb(t *testing.T, megabytes int, lie bool) string {
	t.Helper()
	row := `<row><c t="inlineStr"><is><t>someone@example.com</t></is></c></row>`
	chunk := []byte(strings.Repeat(row, (1<<20)/len(row)))
	head := []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	tail := []byte(`</sheetData></worksheet>`)
	segment := func(p []byte, final bool) []byte {
		var buf bytes.Buffer
		w := storetest.Must2(flate.NewWriter(&buf, flate.BestCompression))(t)
		storetest.Must2(w.Write(p))(t)
		if final {
			storetest.Must(t, w.Close())
		} else {
			storetest.Must(t, w.Flush())
		}
		return buf.Bytes()
	}
	copies := megabytes << 20 / len(chunk)
	headZ, chunkZ, tailZ := segment(head, false), segment(chunk, false), segment(tail, true)
	crc := crc32.Update(0, crc32.IEEETable, head)
	for range copies {
		crc = crc32.Update(crc, crc32.IEEETable, chunk)
	}
	crc = crc32.Update(crc, crc32.IEEETable, tail)
	size := uint64(len(head)) + uint64(copies)*uint64(len(chunk)) + uint64(len(tail))

	// Every other part comes from a real workbook.
	base := workbook(t, [][]any{{"email"}, {"ann@example.com"}})
	zr, err := zip.NewReader(bytes.NewReader(base), int64(len(base)))
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "bomb.xlsx")
	out, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	for _, f := range zr.File {
		if f.Name != "xl/worksheets/sheet1.xml" {
			if err := zw.Copy(f); err != nil {
				t.Fatal(err)
			}
			continue
		}
		declared := size
		if lie {
			declared = 1 << 20
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, CRC32: crc,
			CompressedSize64: uint64(len(headZ) + copies*len(chunkZ) + len(tailZ)), UncompressedSize64: declared})
		if err != nil {
			t.Fatal(err)
		}
		storetest.Must2(w.Write(headZ))(t)
		for range copies {
			storetest.Must2(w.Write(chunkZ))(t)
		}
		storetest.Must2(w.Write(tailZ))(t)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestZipBombIsRefusedFast reads workbooks that unpack to a gigabyte, one
// honest about it in its zip directory and one lying, and checks that both
// are refused quickly and in little memory.
func TestZipBombIsRefusedFast(t *testing.T) {
	for _, lie := range []bool{false, true} {
		name := bomb(t, 1024, lie)
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fi := storetest.Must2(f.Stat())(t)
		if fi.Size() > MaxFileSize {
			t.Fatalf("the bomb is %d bytes, over the upload limit", fi.Size())
		}
		if !lie {
			zr := storetest.Must2(zip.NewReader(f, fi.Size()))(t)
			for _, zf := range zr.File {
				if zf.Name == "xl/worksheets/sheet1.xml" && zf.UncompressedSize64 < 1<<30-(1<<20) {
					t.Fatalf("the sheet declares %d bytes", zf.UncompressedSize64)
				}
			}
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		_, err = Read(f, fi.Size())
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Fatalf("lie=%v: the bomb was read", lie)
		}
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("lie=%v: %d KB file refused in %v with %d MB allocated: %v", lie, fi.Size()>>10, took, alloc>>20, err)
		// Inflating the gigabyte takes far longer; the race detector
		// slows the refusal's own work about tenfold.
		if took > 2*time.Second*slowdown {
			t.Errorf("lie=%v: refusal took %v", lie, took)
		}
		if alloc > 50<<20 {
			t.Errorf("lie=%v: refusal allocated %d MB", lie, alloc>>20)
		}
	}
}

// TestBombIsValid checks the construction on a small bomb: the stream
// inflates completely and the workbook reader reads its rows, so the
// refusals above are about size and not about a broken file.
func TestBombIsValid(t *testing.T) {
	f, err := os.Open(bomb(t, 2, false))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi := storetest.Must2(f.Stat())(t)
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		rc.Close()
	}
	// Two megabytes of rows are more rows than a file may have.
	if _, err := Read(f, fi.Size()); err != errTooManyRows {
		t.Fatalf("Read = %v, want too many rows", err)
	}
}
