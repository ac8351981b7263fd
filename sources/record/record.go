// Package record writes and replays lbtop recordings: every snapshot and
// event lbtop saw, appended to one file (format in docs/recording.md).
// A Recorder appends; a Player reads a recording back and is a source of
// snapshots like any other, so replaying feeds the ordinary Store.
package record

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sync"
	"time"

	"github.com/lbtop/lbtop/model"
)

// Magic and Version open every recording. Version changes only when a
// reader of the previous version could misread the file.
const (
	Magic   = "LBTOPREC"
	Version = 1
)

// The record types.
const (
	recBegin        byte = 'B' // a recording session starts: source ids restart
	recSource       byte = 'S' // a source id's name and kind
	recKey          byte = 'K' // a whole snapshot (compressed)
	recDelta        byte = 'D' // a snapshot as changes from the source's previous good one (compressed)
	recFailed       byte = 'F' // a failed poll: took and the error
	recEvent        byte = 'E' // one event, as its JSON line
	recProxy        byte = 'P' // the proxy's own health check fails (1) or passes (0) from now on
	syncByte        byte = 0xA5
	headerLen            = 20 // sync, type, source, at, length, crc
	noSource             = 0xFFFF
	fileHdrLen           = int64(len(Magic) + 2)
	maxPayload           = 1 << 30
	defaultKeyEvery      = 60 // snapshots per source between keyframes: 2 min at 2 s
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Recorder appends snapshots and events to a recording. It is safe for
// concurrent use. Each record is written with one write call, so a crash
// tears at most the last one, which readers skip.
type Recorder struct {
	mu       sync.Mutex
	f        *os.File
	ids      map[string]uint16
	mergeAs  map[string]model.Kind
	prev     map[string]*model.Snapshot // last good snapshot per source
	sinceKey map[string]int
	failing  map[string]bool // per source: the proxy state last written (recProxy)
	keyEvery int
	buf      bytes.Buffer
	zw       *flate.Writer
	frame    []byte
}

// Create opens path for appending, creating it with the file header when
// it is new or empty. A torn record at the end of an existing file (a
// crash while writing) is cut off first, so later records stay readable.
func Create(path string) (*Recorder, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	end, err := validEnd(f)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("record: %s: %w", path, err)
	}
	if err := f.Truncate(end); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("record: %s: %w", path, err)
	}
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("record: %s: %w", path, err)
	}
	if end == 0 {
		hdr := append([]byte(Magic), 0, 0)
		binary.LittleEndian.PutUint16(hdr[len(Magic):], Version)
		if _, err := f.Write(hdr); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("record: %s: %w", path, err)
		}
	}
	zw, _ := flate.NewWriter(nil, flate.DefaultCompression)
	r := &Recorder{f: f, ids: map[string]uint16{}, mergeAs: map[string]model.Kind{}, prev: map[string]*model.Snapshot{}, sinceKey: map[string]int{}, failing: map[string]bool{}, keyEvery: defaultKeyEvery, zw: zw}
	if err := r.write(recBegin, noSource, time.Now(), nil); err != nil {
		_ = f.Close()
		return nil, err
	}
	return r, nil
}

// validEnd returns the length of the readable part of an existing file:
// 0 for an empty one, the end of its last whole record otherwise.
func validEnd(f *os.File) (int64, error) {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return 0, err
	}
	sc, err := newScanner(f)
	if err != nil {
		return 0, err
	}
	for sc.next() {
	}
	return sc.end, nil
}

// MergeAs notes a source's merge_as setting (see config) before its first
// snapshot, so a replay merges its pools the same way.
func (r *Recorder) MergeAs(source string, kind model.Kind) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mergeAs[source] = kind
}

// Snapshot records one poll's result: a failed poll as its error, a good
// one as a keyframe or as changes from the source's previous good one,
// after a proxy record when the proxy's own health check started or
// stopped failing (Snapshot.ProxyFailing; a session starts passing).
func (r *Recorder) Snapshot(s model.Snapshot) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, err := r.sourceID(s.Source, s.Kind, s.At)
	if err != nil {
		return err
	}
	var e enc
	if s.Err != nil {
		e.varint(int64(s.Took))
		e.str(s.Err.Error())
		return r.write(recFailed, id, s.At, e.b)
	}
	if s.ProxyFailing != r.failing[s.Source] { // before the poll that shows it
		if err := r.write(recProxy, id, s.At, []byte{boolByte(s.ProxyFailing)}); err != nil {
			return err
		}
		r.failing[s.Source] = s.ProxyFailing
	}
	prev := r.prev[s.Source]
	typ := recDelta
	if prev == nil || r.sinceKey[s.Source] >= r.keyEvery || !sameShape(prev, &s) {
		typ = recKey
		e.keyframe(&s)
		r.sinceKey[s.Source] = 0
	} else {
		e.delta(prev, &s)
		r.sinceKey[s.Source]++
	}
	r.prev[s.Source] = &s
	z, err := r.compress(e.b)
	if err != nil {
		return err
	}
	return r.write(typ, id, s.At, z)
}

// Event records one event.
func (r *Recorder) Event(ev model.Event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("record: event: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.write(recEvent, noSource, ev.Time, b)
}

// Sync flushes the file to stable storage.
func (r *Recorder) Sync() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.f.Sync()
}

// Close syncs and closes the file.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return errors.Join(r.f.Sync(), r.f.Close())
}

func (r *Recorder) sourceID(name string, kind model.Kind, at time.Time) (uint16, error) {
	if id, ok := r.ids[name]; ok {
		return id, nil
	}
	if len(r.ids) >= noSource {
		return 0, errors.New("record: too many sources")
	}
	id := uint16(len(r.ids))
	var e enc
	e.str(name)
	e.str(string(kind))
	e.str(string(r.mergeAs[name]))
	if err := r.write(recSource, id, at, e.b); err != nil {
		return 0, err
	}
	r.ids[name] = id
	return id, nil
}

func (r *Recorder) compress(b []byte) ([]byte, error) {
	r.buf.Reset()
	r.zw.Reset(&r.buf)
	if _, err := r.zw.Write(b); err != nil {
		return nil, fmt.Errorf("record: compress: %w", err)
	}
	if err := r.zw.Close(); err != nil {
		return nil, fmt.Errorf("record: compress: %w", err)
	}
	return r.buf.Bytes(), nil
}

// write appends one framed record with a single write call.
func (r *Recorder) write(typ byte, src uint16, at time.Time, payload []byte) error {
	fr := appendHeader(r.frame[:0], typ, src, at.UnixNano(), payload)
	fr = append(fr, payload...)
	r.frame = fr
	if _, err := r.f.Write(fr); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	return nil
}

// appendHeader appends a record header: sync byte, type, source id (LE
// uint16), time (LE int64 unix ns), payload length (LE uint32) and the
// CRC-32C of the header's type…length bytes followed by the payload.
func appendHeader(b []byte, typ byte, src uint16, at int64, payload []byte) []byte {
	b = append(b, syncByte, typ)
	b = binary.LittleEndian.AppendUint16(b, src)
	b = binary.LittleEndian.AppendUint64(b, uint64(at))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	crc := crc32.Update(crc32.Checksum(b[len(b)-15:], castagnoli), castagnoli, payload)
	return binary.LittleEndian.AppendUint32(b, crc)
}
