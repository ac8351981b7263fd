package haproxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// errBroken is the error failingReader returns once its data is read.
var errBroken = errors.New("connection reset")

// failingReader returns data, then errBroken instead of io.EOF.
type failingReader struct{ data []byte }

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, errBroken
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// input returns data as a reader that ends in io.EOF, or in errBroken
// when broken is set.
func input(data []byte, broken bool) io.Reader {
	if broken {
		return &failingReader{data: data}
	}
	return bytes.NewReader(data)
}

// csvRecord is one record as encoding/csv or rowReader returns it.
type csvRecord struct {
	fields []string
	line   int
	err    string
}

// readAllCSV reads records with encoding/csv set up as Scan's oracle,
// each cut to its first k fields (k <= 0 keeps all).
func readAllCSV(r io.Reader, k int) []csvRecord {
	cr := newCSV(r)
	var out []csvRecord
	for range 1 << 16 { // bounded: a record takes at least one byte
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		got := csvRecord{fields: slices.Clone(rec)}
		if k > 0 && len(got.fields) > k {
			got.fields = got.fields[:k]
		}
		if len(rec) > 0 {
			got.line, _ = cr.FieldPos(0)
		}
		if err != nil {
			got.err = err.Error()
			return append(out, got)
		}
		out = append(out, got)
	}
	panic("readAllCSV: too many records")
}

// readAllRows is readAllCSV through rowReader, with a bufio.Reader of
// size bufSize so that long lines are assembled from pieces.
func readAllRows(r io.Reader, k, bufSize int) []csvRecord {
	rr := newRowReader(bufio.NewReaderSize(r, bufSize), k)
	rr.line = 0 // no header here: count from the first line
	var out []csvRecord
	for range 1 << 16 {
		fl, line, err := rr.read()
		if errors.Is(err, io.EOF) {
			return out
		}
		rec := make([]string, fl.len())
		for i := range rec {
			rec[i] = fl.at(i)
		}
		got := csvRecord{fields: rec}
		if len(rec) > 0 {
			got.line = line
		}
		if err != nil {
			got.err = err.Error()
			return append(out, got)
		}
		out = append(out, got)
	}
	panic("readAllRows: too many records")
}

// scanAll collects what a scan function returns: every row and the error.
func scanAll(scan func(io.Reader, func(*Stat) error) error, r io.Reader) ([]Stat, string) {
	var out []Stat
	err := scan(r, func(st *Stat) error {
		out = append(out, *st)
		return nil
	})
	if err != nil {
		return out, err.Error()
	}
	return out, ""
}

// oracleScan is scanCSV without the cutter: plain encoding/csv.
func oracleScan(r io.Reader, fn func(*Stat) error) error { return scanCSV(r, fn, false) }

// compareScans checks Scan against oracleScan on data.
func compareScans(t *testing.T, data []byte, broken bool) {
	t.Helper()
	got, gotErr := scanAll(Scan, input(data, broken))
	want, wantErr := scanAll(oracleScan, input(data, broken))
	if gotErr != wantErr {
		t.Fatalf("Scan error %q; encoding/csv %q", gotErr, wantErr)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Scan rows\n%+v\nencoding/csv\n%+v", got, want)
	}
}

// quoteSeeds are inputs aimed at the quoted path and line handling.
var quoteSeeds = []string{
	"# pxname,svname,type,status,check_desc,\nbe,\"s,1\",2,UP,\"say \"\"hi\"\"\",\n",
	"# pxname,svname,type,status,\nbe,\"multi\nline\",2,\"UP\"\n\nbe,s2,2,DOWN,\n",
	"# pxname,svname,type,status,\nbe,s1,2,UP,x,\"a,\nb\",c\nbe,s2,2,UP\n",
	"# pxname,svname,type,status,\nbe,\"a\"b\nc,d,e,f,g\nz\",2,UP\n",
	"# pxname,svname,type,status,\nbe,s\"1,2,UP,\"\n",
	"# pxname,svname,type,status,\r\nbe,s1,2,UP,\r\n\r\nbe,s2,2,DOWN 1/2\r",
	"# pxname,svname,type,status,\nbe,\"s1",
	"# pxname,svname,type,status,\nbe,\"s1\"",
	"# pxname,svname,type,status,\nbe,s1,2,UP,\"\"\"\n",
	"# pxname,svname,type,status,weight,\nbe,s1,2,UP,x\"\nbe,\"s2\",2,UP,\"7\"x,\n",
	"a,\"b\n\n\"c\",d\n\"\"\n\",\"\n",
}

// addSeeds seeds f with the recorded dumps and quoteSeeds.
func addSeeds(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "haproxy", "*.csv"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no recorded dumps: %v", err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(0), false)
		f.Add(data, uint8(4), true)
	}
	for i, s := range quoteSeeds {
		f.Add([]byte(s), uint8(i), i%3 == 0)
	}
}

// FuzzScanMatchesCSV holds the quote-aware splitter to encoding/csv on
// any input: record by record (fields, start line, error) for several k
// and buffer sizes, and through Scan against the encoding/csv Scan.
// Broken inputs end in a read error instead of EOF.
func FuzzScanMatchesCSV(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, k uint8, broken bool) {
		kk := int(k % 8) // 0 keeps all fields
		want := readAllCSV(input(data, broken), kk)
		for _, size := range []int{16, 4096} {
			got := readAllRows(input(data, broken), kk, size)
			if !slices.EqualFunc(got, want, func(a, b csvRecord) bool {
				return slices.Equal(a.fields, b.fields) && a.line == b.line && a.err == b.err
			}) {
				t.Fatalf("k=%d buffer %d:\nrowReader    %+v\nencoding/csv %+v", kk, size, got, want)
			}
		}
		compareScans(t, data, broken)
	})
}

// TestScanMatchesOldPath compares Scan with the path it replaced (csv
// behind the cutter) and with plain encoding/csv on the recorded dumps
// and on a synthetic dump of 1,000 servers.
func TestScanMatchesOldPath(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "haproxy", "*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded dumps: %v", err)
	}
	inputs := map[string][]byte{"synthetic": synthetic(1000)}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(name)] = data
	}
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, gotErr := scanAll(Scan, bytes.NewReader(data))
			old, oldErr := scanAll(func(r io.Reader, fn func(*Stat) error) error { return scanCSV(r, fn, true) }, bytes.NewReader(data))
			if gotErr != "" || oldErr != "" || len(got) == 0 {
				t.Fatalf("Scan: %d rows, error %q; old path error %q", len(got), gotErr, oldErr)
			}
			if !slices.Equal(got, old) {
				t.Errorf("Scan and the old path differ on %s", name)
			}
			compareScans(t, data, false)
		})
	}
}

// synthetic is a small stand-in for the benchmark's dump: the header and
// rows of every shape, with quoted fields sprinkled in.
func synthetic(servers int) []byte {
	var b bytes.Buffer
	b.WriteString("# pxname,svname,scur,stot,status,weight,bck,lastchg,type,check_status,check_code,hrsp_5xx,last_chk,check_desc,addr,extra1,extra2,\n")
	statuses := []string{"UP", "DOWN", "UP 1/3", "MAINT (via a/b)", "no check", "DRAIN", "NOLB"}
	for i := range servers {
		last := "Connection refused"
		if i%7 == 0 {
			last = `"refused, then ""reset"""` // quoted, as RFC 4180 asks
		}
		fmt.Fprintf(&b, "be%d,s%d,%d,%d,%s,%d,%d,%d,2,* L4CON,,%d,%s,Layer4 connection problem,10.0.%d.%d:80,x,y,\n",
			i/10, i, i%5, i*3, statuses[i%len(statuses)], i%4, i%9/8, i, i%3, last, i/256, i%256)
		if i%10 == 9 {
			fmt.Fprintf(&b, "be%d,BACKEND,0,0,UP,10,0,5,1,,,,,,,\"a\nb\",z,\n", i/10)
		}
	}
	return b.Bytes()
}
