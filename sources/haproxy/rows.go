package haproxy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// rowReader splits `show stat` rows into fields exactly as encoding/csv
// does with LazyQuotes, FieldsPerRecord -1 and ReuseRecord, but keeps only
// each record's first k fields. lbtop reads no column past addr (column 73
// in 2.6) while rows of recent versions carry twice as many, and csv's cost
// is per field, so most of the work is skipping the tail of each line.
//
// HAProxy quotes a field (RFC 4180) only when it holds a comma, a quote or
// a line break, which in practice never happens. A line without a quote,
// found with one vectorised IndexByte, is split in place by a byte loop
// that stops after field k. Any line holding a quote takes the slow path,
// a line-for-line port of encoding/csv's readRecord, since a quoted field
// may hide commas or run over several lines. FuzzScanMatchesCSV holds the
// two to encoding/csv itself.
type rowReader struct {
	br   *bufio.Reader
	k    int    // fields kept per record; <= 0 keeps all
	line int    // lines read so far, the header included
	raw  []byte // a line longer than br's buffer, assembled
	buf  []byte // a quoted record's text, quotes undone
	rec  fieldList
}

// fieldList is one record: one string and where each field ends in it.
// Fields are sliced from the string only when asked for: storing ~75
// string headers per row in a []string costs a GC write barrier each,
// which was a fifth of the time of a poll.
type fieldList struct {
	text string
	ends []int // end of field i in text
	sep  int   // bytes between fields in text: 1 (a comma) or 0
}

// len is the number of fields.
func (f *fieldList) len() int { return len(f.ends) }

// at returns field i, which must be < f.len().
func (f *fieldList) at(i int) string {
	start := 0
	if i > 0 {
		start = f.ends[i-1] + f.sep
	}
	return f.text[start:f.ends[i]]
}

// newRowReader reads records from br, which is positioned after the
// header line (line 1), keeping k fields of each.
func newRowReader(br *bufio.Reader, k int) *rowReader {
	return &rowReader{br: br, k: k, line: 1}
}

// read returns the next record's first k fields and the line it starts
// on, or io.EOF after the last record. Empty lines are skipped. The
// fields share one string per record; the *fieldList is reused by the
// next call. On a read error other than io.EOF the record read so far is
// returned with the error, as encoding/csv does.
func (r *rowReader) read() (fields *fieldList, line int, err error) {
	var l []byte
	var errRead error
	for errRead == nil {
		l, errRead = r.readLine()
		if errRead == nil && len(l) == lengthNL(l) {
			continue // an empty line
		}
		break
	}
	if errRead == io.EOF { // as in readLine
		return nil, 0, io.EOF
	}
	start := r.line
	if bytes.IndexByte(l, '"') < 0 {
		r.split(l)
	} else {
		errRead = r.parseQuoted(l, errRead)
	}
	return &r.rec, start, errRead
}

// readLine reads one line, as encoding/csv's readLine does: a line longer
// than the buffer is assembled, "\r\n" becomes "\n", a "\r" just before
// EOF is dropped, and io.EOF comes only with an empty line.
func (r *rowReader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		r.raw = append(r.raw[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = r.br.ReadSlice('\n')
			r.raw = append(r.raw, line...)
		}
		line = r.raw
	}
	// == rather than errors.Is, as in encoding/csv: a wrapped io.EOF from
	// the underlying reader is a read error there too.
	if n := len(line); n > 0 && err == io.EOF {
		err = nil
		if line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	r.line++
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	return line, err
}

// lengthNL is 1 when b ends in a newline.
func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}

// split cuts a line without quotes into its first k fields. One string
// holds them all, as encoding/csv makes one per record.
func (r *rowReader) split(line []byte) {
	body := line[:len(line)-lengthNL(line)]
	k := r.k
	if k <= 0 {
		k = len(body) + 1
	}
	ends := r.rec.ends[:0]
	for i, c := range body {
		if c == ',' {
			ends = append(ends, i)
			if len(ends) == k {
				break
			}
		}
	}
	if len(ends) < k {
		ends = append(ends, len(body))
	}
	r.rec = fieldList{text: string(body[:ends[len(ends)-1]]), ends: ends, sep: 1}
}

// parseQuoted parses a record whose first line holds a quote, following
// encoding/csv's readRecord with LazyQuotes: a field that starts with a
// quote runs to the next `",` or `"` at the end of a line, over as many
// lines as it takes (or to EOF), with `""` for a quote and any other quote
// kept as it is. The whole record is read so the next one starts in the
// right place; only the first k fields are kept. It returns errRead, or
// the error of a line read after the first.
func (r *rowReader) parseQuoted(line []byte, errRead error) error {
	buf := r.buf[:0]
	ends := r.rec.ends[:0]
	keep := func() {
		if r.k <= 0 || len(ends) < r.k {
			ends = append(ends, len(buf))
		}
	}
	for {
		if len(line) == 0 || line[0] != '"' {
			i := bytes.IndexByte(line, ',')
			field := line
			if i >= 0 {
				field = field[:i]
			} else {
				field = field[:len(field)-lengthNL(field)]
			}
			buf = append(buf, field...)
			keep()
			if i >= 0 {
				line = line[i+1:]
				continue
			}
			break
		}
		line = line[1:]
		closed := false
		for !closed {
			i := bytes.IndexByte(line, '"')
			switch {
			case i >= 0:
				buf = append(buf, line[:i]...)
				line = line[i+1:]
				switch {
				case len(line) > 0 && line[0] == '"': // `""`: a quote
					buf = append(buf, '"')
					line = line[1:]
				case len(line) > 0 && line[0] == ',': // `",`: end of field
					line = line[1:]
					keep()
					closed = true
				case lengthNL(line) == len(line): // `"` ends the line
					keep()
					r.finish(buf, ends)
					return errRead
				default: // a bare quote, kept (LazyQuotes)
					buf = append(buf, '"')
				}
			case len(line) > 0: // the field runs on to the next line
				buf = append(buf, line...)
				if errRead != nil {
					r.finish(buf, ends)
					return errRead
				}
				line, errRead = r.readLine()
				if errRead == io.EOF { // as in readLine
					errRead = nil
				}
			default: // EOF, or a read error, inside the field
				keep()
				r.finish(buf, ends)
				return errRead
			}
		}
	}
	r.finish(buf, ends)
	return errRead
}

// finish turns a quoted record's text into fields; the text of fields
// past k is cut off with the string.
func (r *rowReader) finish(buf []byte, ends []int) {
	r.buf = buf
	text := ""
	if len(ends) > 0 {
		text = string(buf[:ends[len(ends)-1]])
	}
	r.rec = fieldList{text: text, ends: ends, sep: 0}
}
