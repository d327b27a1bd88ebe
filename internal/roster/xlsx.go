package roster

import (
	"archive/zip"
	"io"

	"github.com/xuri/excelize/v2"

	"companyadmin/internal/company"
)

// Bounds on a workbook before and while it is unpacked. The declared sizes
// in the zip directory are checked before anything is inflated, and
// archive/zip refuses entries that inflate beyond their declared size, so a
// small file that would unpack to gigabytes is refused at once.
const (
	// maxUnzipped is the most a workbook may unpack to, all parts together.
	maxUnzipped = 48 << 20
	// maxXMLInMemory is the largest worksheet or shared string table held
	// in memory; bigger ones are streamed from a temporary file.
	maxXMLInMemory = 4 << 20
	// maxParts is the most entries a workbook's zip may have.
	maxParts = 2000
)

// errUnreadable is the answer for a workbook the reader cannot make sense of.
var errUnreadable = invalid("This file could not be read as an Excel workbook. Open it in your spreadsheet program, save it as .xlsx or CSV, and upload it again.")

// ReadXLSX reads the first sheet of an Excel workbook.
func ReadXLSX(r io.ReaderAt, size int64) (ro *Roster, err error) {
	if size > MaxFileSize {
		return nil, invalid("The file is larger than %d MB.", MaxFileSize>>20)
	}
	if err := checkZip(r, size); err != nil {
		return nil, err
	}
	// The workbook reader is a large body of code meeting hostile input:
	// whatever it panics on becomes a plain refusal.
	defer func() {
		if p := recover(); p != nil {
			ro, err = nil, errUnreadable
		}
	}()
	f, err := excelize.OpenReader(io.NewSectionReader(r, 0, size), excelize.Options{
		UnzipSizeLimit:    maxUnzipped,
		UnzipXMLSizeLimit: maxXMLInMemory,
	})
	if err != nil {
		return nil, errUnreadable
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, invalid("The workbook has no sheets.")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, errUnreadable
	}
	defer rows.Close()
	b := newBuilder(XLSX)
	line := 0
	for rows.Next() {
		line++
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, errUnreadable
		}
		if err := b.add(line, cells); err != nil {
			return nil, err
		}
	}
	if rows.Error() != nil {
		return nil, errUnreadable
	}
	return b.done()
}

// checkZip refuses a workbook whose zip directory promises more than the
// bounds allow, reading only the directory.
func checkZip(r io.ReaderAt, size int64) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return errUnreadable
	}
	if len(zr.File) > maxParts {
		return errUnreadable
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if f.UncompressedSize64 > maxUnzipped || total > maxUnzipped {
			return invalid("This workbook unpacks to more than %d MB, more than a list of %s people needs. Save the sheet with the people to invite as CSV, or in a workbook of its own, and upload that.", maxUnzipped>>20, company.Thousands(MaxRows))
		}
	}
	return nil
}
