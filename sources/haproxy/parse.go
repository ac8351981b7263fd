package haproxy

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// RowType is the `type` column of `show stat`.
type RowType uint8

// The row types HAProxy prints.
const (
	TypeFrontend RowType = 0
	TypeBackend  RowType = 1
	TypeServer   RowType = 2
	TypeListener RowType = 3
)

// String names the row type.
func (t RowType) String() string {
	switch t {
	case TypeFrontend:
		return "frontend"
	case TypeBackend:
		return "backend"
	case TypeServer:
		return "server"
	case TypeListener:
		return "listener"
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// Stat is the part of one `show stat` row that lbtop reads. Strings are
// HAProxy's text; absent or empty numeric fields keep the documented
// defaults.
type Stat struct {
	Proxy  string  // pxname
	Name   string  // svname: FRONTEND, BACKEND, a server or a listener name
	Type   RowType // type
	Status string  // status: "UP", "UP 1/3", "MAINT (via b/s)", "no check", …
	Addr   string  // addr, host:port; empty when the column is absent

	Weight int   // weight (effective); -1 when empty or absent
	Backup bool  // bck == 1 on a server row
	Scur   int64 // current sessions
	Stot   uint64
	// Hrsp5xx is hrsp_5xx, the count of 5xx responses (0 in TCP mode).
	Hrsp5xx uint64
	LastChg int64 // seconds since the last state change; -1 when empty

	CheckStatus string // check_status without the "* " in-progress mark: L7OK, L7STS, L4CON, …
	CheckCode   string // check_code, e.g. "503"
	LastChk     string // last_chk, e.g. "Connection refused", "Service Unavailable"
	CheckDesc   string // check_desc, e.g. "Layer7 wrong status"

	// Facts the diagnosis cites (see facts.go); -1 when empty or absent
	// for the signed ones.
	Qcur          int64  // qcur: requests queued
	Slim          int64  // slim: session limit (maxconn); -1 when none
	Econ          uint64 // econ: connection errors
	Eresp         uint64 // eresp: response errors
	ChkFail       uint64 // chkfail: failed checks
	Downtime      int64  // downtime, seconds; -1 when empty
	CheckDuration int64  // check_duration, ms; -1 when empty
}

// columns holds the index of every column lbtop reads, taken from the
// header line; -1 for a column this HAProxy does not print.
type columns struct {
	pxname, svname, typ, status, addr          int
	weight, bck, scur, stot, hrsp5xx, lastchg  int
	checkStatus, checkCode, lastChk, checkDesc int
	facts                                      factColumns
	last                                       int // highest index of those present
}

// newColumns reads the header record ("# pxname,svname,…"). The column
// set grows between versions, so positions are never assumed.
func newColumns(header []string) (columns, error) {
	c := columns{}
	idx := make(map[string]int, len(header))
	for i, name := range header {
		if i == 0 {
			name = strings.TrimPrefix(name, "# ")
		}
		if _, dup := idx[name]; !dup {
			idx[name] = i
		}
	}
	get := func(name string) int {
		if i, ok := idx[name]; ok {
			c.last = max(c.last, i)
			return i
		}
		return -1
	}
	c.pxname, c.svname, c.typ, c.status = get("pxname"), get("svname"), get("type"), get("status")
	c.addr, c.weight, c.bck, c.scur = get("addr"), get("weight"), get("bck"), get("scur")
	c.stot, c.hrsp5xx, c.lastchg = get("stot"), get("hrsp_5xx"), get("lastchg")
	c.checkStatus, c.checkCode = get("check_status"), get("check_code")
	c.lastChk, c.checkDesc = get("last_chk"), get("check_desc")
	c.facts = newFactColumns(get)
	var missing []string
	for _, req := range [...]struct {
		name string
		i    int
	}{{"pxname", c.pxname}, {"svname", c.svname}, {"type", c.typ}, {"status", c.status}} {
		if req.i < 0 { // a fixed order, so the message is always the same
			missing = append(missing, req.name)
		}
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("show stat header lacks required column(s) %s", strings.Join(missing, ", "))
	}
	return c, nil
}

// ErrNotStat is returned when a reply is not `show stat` CSV, for example
// "Permission denied" or "Unknown command".
var ErrNotStat = errors.New("reply is not show stat CSV")

// Parse reads `show stat` CSV: a "# pxname,…" header, then one row per
// frontend, listener, server and backend. Every row is returned, however
// many there are.
func Parse(r io.Reader) ([]Stat, error) {
	var out []Stat
	err := Scan(r, func(st *Stat) error {
		out = append(out, *st)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Scan reads `show stat` CSV like Parse but hands each row to fn as it is
// read, without collecting them. The *Stat is reused: fn must copy what it
// keeps. Strings in it are substrings of the row's line. An error from fn
// stops the scan and is returned.
func Scan(r io.Reader, fn func(*Stat) error) error {
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
	rows := newRowReader(br, cols.last+1)
	var st Stat
	for {
		rec, line, err := rows.read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("show stat: %w", err)
		}
		if err := cols.fill(&st, rec); err != nil {
			return fmt.Errorf("show stat line %d: %w", line, err)
		}
		if err := fn(&st); err != nil {
			return err
		}
	}
}

func newCSV(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // rows end with a trailing comma; be lenient on width
	cr.ReuseRecord = true
	cr.LazyQuotes = true
	return cr
}

// record is one CSV row being converted; it remembers the first error.
type record struct {
	rec *fieldList
	err error
}

func (r *record) str(i int) string {
	if i >= 0 && i < r.rec.len() {
		return r.rec.at(i)
	}
	return ""
}

// num parses column i, returning def when it is empty or absent.
func (r *record) num(name string, i int, def int64) int64 {
	s := r.str(i)
	if s == "" || r.err != nil {
		return def
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		r.err = fmt.Errorf("column %s: invalid number %q", name, s)
		return def
	}
	return v
}

// fill converts one record into st, overwriting every field.
func (c *columns) fill(st *Stat, rec *fieldList) error {
	r := record{rec: rec}
	*st = Stat{
		Proxy:       r.str(c.pxname),
		Name:        r.str(c.svname),
		Status:      r.str(c.status),
		Addr:        r.str(c.addr),
		CheckStatus: strings.TrimPrefix(r.str(c.checkStatus), "* "),
		CheckCode:   r.str(c.checkCode),
		LastChk:     r.str(c.lastChk),
		CheckDesc:   r.str(c.checkDesc),
		Weight:      int(r.num("weight", c.weight, -1)),
		Backup:      r.num("bck", c.bck, 0) == 1,
		Scur:        r.num("scur", c.scur, 0),
		Stot:        uint64(max(0, r.num("stot", c.stot, 0))),
		Hrsp5xx:     uint64(max(0, r.num("hrsp_5xx", c.hrsp5xx, 0))),
		LastChg:     r.num("lastchg", c.lastchg, -1),
	}
	c.facts.fill(st, &r)
	typ := r.num("type", c.typ, -1)
	if r.err == nil && (typ < 0 || typ > 255) {
		r.err = fmt.Errorf("column type: invalid value %q", r.str(c.typ))
	}
	st.Type = RowType(typ)
	if r.err != nil {
		return fmt.Errorf("%s/%s: %w", st.Proxy, st.Name, r.err)
	}
	return nil
}
