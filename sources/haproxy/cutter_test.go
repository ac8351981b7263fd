package haproxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unsafe"
)

// This file keeps the parser Scan used before rowReader, encoding/csv
// behind a columnCutter, as the oracle of the differential tests and for
// BenchmarkParseMap10kCSV.

// columnCutter hands encoding/csv only the first k columns of each row.
// lbtop reads none past addr (column 73 in 2.6), while rows of recent
// versions carry twice as many (per-module ssl, h1, h2, quic counters), and
// csv's cost is per field. It cuts only where that is safe: a row whose
// remainder holds a quote is passed whole, since a quoted field could
// span lines; so is a row longer than the buffer.
type columnCutter struct {
	br      *bufio.Reader
	k       int
	pending []byte // bytes ready for Read
	long    bool   // inside a row longer than the buffer: pass it through
	quoted  bool   // the previous line ended inside a quoted field
	err     error  // from br, returned once pending is drained
}

func (c *columnCutter) Read(p []byte) (int, error) {
	for len(c.pending) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		line, err := c.br.ReadSlice('\n')
		wasLong := c.long
		c.long = errors.Is(err, bufio.ErrBufferFull)
		if err != nil && !c.long {
			c.err = err
		}
		if wasLong || c.long || c.quoted {
			// Not the start of a row: pass through, tracking quotes.
			c.pending = line
			c.quoted = c.quoted != (bytes.Count(line, []byte(`"`))%2 == 1)
			continue
		}
		c.pending, c.quoted = cutRow(line, c.k)
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

// cutRow returns row without the fields after the first k, ending in
// ",\n" like every HAProxy row, or row unchanged when it has k fields or
// fewer, lacks a newline, or has a quote after the cut. It may overwrite
// row's byte after the cut. quoted reports that row ends inside a quoted
// field (one holding a newline), so the next line continues it.
func cutRow(row []byte, k int) (out []byte, quoted bool) {
	cut := k > 0 && len(row) > 0 && row[len(row)-1] == '\n'
	commas := 0
	for i, b := range row {
		switch {
		case b == '"':
			quoted = !quoted
		case b == ',' && !quoted && cut:
			commas++
			if commas < k {
				continue
			}
			// row[:i+1] holds k fields and their trailing comma.
			rest := row[i+1:]
			if n := bytes.Count(rest, []byte(`"`)); n > 0 || len(rest) < 2 {
				return row, n%2 == 1
			}
			row[i+1] = '\n'
			return row[:i+2], false
		}
	}
	return row, quoted
}

// cutAfter wraps br so rows keep only their first k columns; k <= 0 keeps
// everything.
func cutAfter(br *bufio.Reader, k int) io.Reader {
	return &columnCutter{br: br, k: k}
}

// scanCSV is Scan as it was before rowReader: the header as now, then the
// rows through encoding/csv, behind a columnCutter when cut is set.
//
// The cutter is not exact: it tracks quotes by parity, while csv with
// LazyQuotes keeps a bare quote inside a quoted field as text, so after
// such a quote it can cut a line that csv reads as the inside of a
// multi-line field. HAProxy never writes such quotes; the fuzz oracle is
// therefore scanCSV without the cutter, i.e. plain encoding/csv.
func scanCSV(r io.Reader, fn func(*Stat) error, cut bool) error {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 64<<10 {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	headerLine, err := br.ReadString('\n')
	if headerLine == "" && errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: empty reply", ErrNotStat)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("show stat header: %w", err)
	}
	if !strings.HasPrefix(headerLine, "# ") {
		return fmt.Errorf("%w: %q", ErrNotStat, strings.TrimRight(headerLine, "\r\n"))
	}
	header, err := newCSV(strings.NewReader(headerLine)).Read()
	if err != nil {
		return fmt.Errorf("show stat header: %w", err)
	}
	cols, err := newColumns(header)
	if err != nil {
		return err
	}
	var rows io.Reader = br
	if cut {
		rows = cutAfter(br, cols.last+1)
	}
	cr := newCSV(rows)
	var st Stat
	var fl fieldList
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("show stat: %w", err)
		}
		if err := cols.fill(&st, joinFields(&fl, rec)); err != nil {
			line, _ := cr.FieldPos(0)
			return fmt.Errorf("show stat line %d: %w", line+1, err) // +1: the header was read apart
		}
		if err := fn(&st); err != nil {
			return err
		}
	}
}

// joinFields turns a csv record into the fieldList fill reads, reusing
// fl. encoding/csv slices every field of a record from one string, so that
// string is recovered rather than copied: the old path costs what it did.
func joinFields(fl *fieldList, rec []string) *fieldList {
	fl.ends = fl.ends[:0]
	end := 0
	for _, f := range rec {
		end += len(f)
		fl.ends = append(fl.ends, end)
	}
	fl.text = ""
	if len(rec) > 0 {
		fl.text = unsafe.String(unsafe.StringData(rec[0]), end)
	}
	return fl
}
