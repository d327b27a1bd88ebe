package roster

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
)

// ReadCSV reads a CSV file: comma or semicolon separated (whichever the
// first line uses more of), UTF-8 with or without a byte order mark, quoted
// fields, CRLF or LF line ends.
func ReadCSV(r io.Reader) (*Roster, error) {
	lr := &limitedReader{r: r, n: MaxFileSize}
	br := bufio.NewReaderSize(lr, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	head, _ := br.Peek(64 << 10)
	cr := csv.NewReader(br)
	cr.Comma = delimiter(head)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	b := newBuilder(CSV)
	// A spreadsheet shows a quoted field with line breaks in one row, so
	// rows are counted as the line a record starts on, less the line breaks
	// inside earlier records.
	inside := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if lr.over {
			return nil, invalid("The file is larger than %d MB.", MaxFileSize>>20)
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, invalid("Line %d of the file could not be read as CSV: %v.", pe.StartLine, pe.Err)
		}
		if err != nil {
			return nil, err
		}
		start, _ := cr.FieldPos(0)
		line := start - inside
		for _, f := range rec {
			inside += strings.Count(f, "\n")
		}
		if err := b.add(line, rec); err != nil {
			return nil, err
		}
	}
	if lr.over {
		return nil, invalid("The file is larger than %d MB.", MaxFileSize>>20)
	}
	return b.done()
}

// delimiter picks ';' when the first line has more semicolons than commas
// outside quotes, as files saved by spreadsheets in many European locales
// do, and ',' otherwise.
func delimiter(head []byte) rune {
	commas, semis, quoted := 0, 0, false
	for _, c := range head {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\n':
			if semis > commas {
				return ';'
			}
			return ','
		case c == ',':
			commas++
		case c == ';':
			semis++
		}
	}
	if semis > commas {
		return ';'
	}
	return ','
}

// limitedReader reads at most n bytes and notes whether there was more.
type limitedReader struct {
	r    io.Reader
	n    int64
	over bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			l.over = true
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}
