package haproxy

import (
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
}

// columns holds the index of every column lbtop reads, taken from the
// header line; -1 for a column this HAProxy does not print.
type columns struct {
	pxname, svname, typ, status, addr          int
	weight, bck, scur, stot, hrsp5xx, lastchg  int
	checkStatus, checkCode, lastChk, checkDesc int
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
			return i
		}
		return -1
	}
	c.pxname, c.svname, c.typ, c.status = get("pxname"), get("svname"), get("type"), get("status")
	c.addr, c.weight, c.bck, c.scur = get("addr"), get("weight"), get("bck"), get("scur")
	c.stot, c.hrsp5xx, c.lastchg = get("stot"), get("hrsp_5xx"), get("lastchg")
	c.checkStatus, c.checkCode = get("check_status"), get("check_code")
	c.lastChk, c.checkDesc = get("last_chk"), get("check_desc")
	var missing []string
	for name, i := range map[string]int{"pxname": c.pxname, "svname": c.svname, "type": c.typ, "status": c.status} {
		if i < 0 {
			missing = append(missing, name)
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
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // rows end with a trailing comma; be lenient on width
	cr.ReuseRecord = true
	cr.LazyQuotes = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: empty reply", ErrNotStat)
	}
	if err != nil {
		return nil, fmt.Errorf("show stat header: %w", err)
	}
	if len(header) == 0 || !strings.HasPrefix(header[0], "# ") {
		return nil, fmt.Errorf("%w: %q", ErrNotStat, strings.Join(header, ","))
	}
	cols, err := newColumns(header)
	if err != nil {
		return nil, err
	}
	var out []Stat
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("show stat: %w", err)
		}
		line, _ := cr.FieldPos(0)
		st, err := cols.stat(rec)
		if err != nil {
			return nil, fmt.Errorf("show stat line %d: %w", line, err)
		}
		out = append(out, st)
	}
}

// stat converts one record. Strings are substrings of the record's line.
func (c *columns) stat(rec []string) (Stat, error) {
	field := func(i int) string {
		if i >= 0 && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	var err error
	num := func(name string, i int, def int64) int64 {
		s := field(i)
		if s == "" || err != nil {
			return def
		}
		v, perr := strconv.ParseInt(s, 10, 64)
		if perr != nil {
			err = fmt.Errorf("column %s: invalid number %q", name, s)
		}
		return v
	}
	st := Stat{
		Proxy:       field(c.pxname),
		Name:        field(c.svname),
		Status:      field(c.status),
		Addr:        field(c.addr),
		CheckStatus: strings.TrimPrefix(field(c.checkStatus), "* "),
		CheckCode:   field(c.checkCode),
		LastChk:     field(c.lastChk),
		CheckDesc:   field(c.checkDesc),
	}
	typ := num("type", c.typ, -1)
	if err == nil && (typ < 0 || typ > 255) {
		err = fmt.Errorf("column type: invalid value %q", field(c.typ))
	}
	st.Type = RowType(typ)
	st.Weight = int(num("weight", c.weight, -1))
	st.Backup = num("bck", c.bck, 0) == 1
	st.Scur = num("scur", c.scur, 0)
	st.Stot = uint64(max(0, num("stot", c.stot, 0)))
	st.Hrsp5xx = uint64(max(0, num("hrsp_5xx", c.hrsp5xx, 0)))
	st.LastChg = num("lastchg", c.lastchg, -1)
	if err != nil {
		return Stat{}, fmt.Errorf("%s/%s: %w", st.Proxy, st.Name, err)
	}
	return st, nil
}
