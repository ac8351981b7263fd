package record

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sort"
	"time"

	"github.com/lbtop/lbtop/model"
)

// entry indexes one record of a recording.
type entry struct {
	off int64 // payload offset in the file
	n   uint32
	typ byte
	src int32 // index into Player.sources; -1 for none
	at  int64 // unix ns
}

// proxyState is a proxy record: from at on, the proxy fails its own
// health check or not.
type proxyState struct {
	at      int64
	failing bool
}

// scanner reads records one by one, checking each one's CRC. It stops at
// the first record that is cut off or damaged: end is then the offset
// just after the last whole record.
type scanner struct {
	r       *bufio.Reader
	off     int64
	end     int64
	cur     entry
	id      uint16
	payload []byte
	hdr     [headerLen]byte
}

func newScanner(f io.ReadSeeker) (*scanner, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	s := &scanner{r: bufio.NewReaderSize(f, 1<<20)}
	var hdr [fileHdrLen]byte
	if _, err := io.ReadFull(s.r, hdr[:]); err != nil || string(hdr[:len(Magic)]) != Magic {
		return nil, errors.New("not an lbtop recording (no LBTOPREC header)")
	}
	if v := binary.LittleEndian.Uint16(hdr[len(Magic):]); v != Version {
		return nil, fmt.Errorf("recording format version %d; this lbtop reads version %d", v, Version)
	}
	s.off, s.end = fileHdrLen, fileHdrLen
	return s, nil
}

// next reads the following record into cur and payload.
func (s *scanner) next() bool {
	if _, err := io.ReadFull(s.r, s.hdr[:]); err != nil || s.hdr[0] != syncByte {
		return false
	}
	n := binary.LittleEndian.Uint32(s.hdr[12:16])
	if n > maxPayload {
		return false
	}
	if cap(s.payload) < int(n) {
		s.payload = make([]byte, n)
	}
	s.payload = s.payload[:n]
	if _, err := io.ReadFull(s.r, s.payload); err != nil {
		return false
	}
	crc := crc32.Update(crc32.Checksum(s.hdr[1:16], castagnoli), castagnoli, s.payload)
	if crc != binary.LittleEndian.Uint32(s.hdr[16:20]) {
		return false
	}
	s.cur = entry{off: s.off + headerLen, n: n, typ: s.hdr[1], at: int64(binary.LittleEndian.Uint64(s.hdr[4:12]))}
	s.id = binary.LittleEndian.Uint16(s.hdr[2:4])
	s.off += headerLen + int64(n)
	s.end = s.off
	return true
}

// SourceInfo is a recorded source.
type SourceInfo struct {
	Name    string
	Kind    model.Kind
	MergeAs model.Kind
}

// Player reads a recording. Open indexes it once (reading it whole and
// checking every record); At then rebuilds any moment from the nearest
// keyframe. It is not safe for concurrent use.
type Player struct {
	f        *os.File
	entries  []entry
	bySource [][]int        // per source: indexes of its K, D and F entries
	proxy    [][]proxyState // per source: its proxy's state changes, in order
	sources  []SourceInfo
	events   []int
	zbuf     []byte
	zr       io.ReadCloser
	cache    decodedCache // snapshots Range decoded, to start from
	raw      bytes.Buffer
	start    time.Time
	end      time.Time
	// Torn is how many bytes at the end could not be read (a record cut
	// off by a crash, or damage): they are skipped.
	Torn int64
}

// Open indexes a recording.
func Open(path string) (*Player, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	p := &Player{f: f}
	if err := p.index(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("replay: %s: %w", path, err)
	}
	return p, nil
}

func (p *Player) index() error {
	sc, err := newScanner(p.f)
	if err != nil {
		return err
	}
	session := map[uint16]int32{}
	byName := map[string]int32{}
	for sc.next() {
		e := sc.cur
		e.src = -1
		switch e.typ {
		case recBegin:
			clear(session)
			continue
		case recProxy:
			if g, ok := session[sc.id]; ok && len(sc.payload) == 1 {
				p.proxy[g] = append(p.proxy[g], proxyState{at: sc.cur.at, failing: sc.payload[0] == 1})
			}
			continue
		case recSource:
			d := dec{b: sc.payload}
			si := SourceInfo{Name: d.str(), Kind: model.Kind(d.str())}
			if len(d.b) > 0 {
				si.MergeAs = model.Kind(d.str())
			}
			if d.err != nil {
				continue
			}
			g, ok := byName[si.Name]
			if !ok {
				g = int32(len(p.sources))
				byName[si.Name] = g
				p.sources = append(p.sources, si)
				p.bySource = append(p.bySource, nil)
				p.proxy = append(p.proxy, nil)
			}
			session[sc.id] = g
			if ps := p.proxy[g]; len(ps) > 0 && ps[len(ps)-1].failing { // a session starts passing (Recorder.Snapshot)
				p.proxy[g] = append(ps, proxyState{at: sc.cur.at})
			}
			continue
		case recKey, recDelta, recFailed:
			g, ok := session[sc.id]
			if !ok {
				continue // a snapshot of an undeclared source: damaged, skip
			}
			e.src = g
			p.bySource[g] = append(p.bySource[g], len(p.entries))
		case recEvent:
			p.events = append(p.events, len(p.entries))
		default:
			continue // a record type from a later version: skip
		}
		p.entries = append(p.entries, e)
		t := time.Unix(0, e.at).UTC()
		if p.start.IsZero() || t.Before(p.start) {
			p.start = t
		}
		if t.After(p.end) {
			p.end = t
		}
	}
	st, err := p.f.Stat()
	if err != nil {
		return err
	}
	p.Torn = st.Size() - sc.end
	return nil
}

// Close closes the file.
func (p *Player) Close() error { return p.f.Close() }

// Start and End are the times of the first and last record.
func (p *Player) Start() time.Time { return p.start }

// End is the time of the last record.
func (p *Player) End() time.Time { return p.end }

// Sources lists the recorded sources.
func (p *Player) Sources() []SourceInfo { return p.sources }

// Times returns the time of every recorded poll, in order, for stepping
// through a recording one poll at a time.
func (p *Player) Times() []time.Time {
	var out []time.Time
	for _, e := range p.entries {
		if e.typ != recEvent {
			out = append(out, time.Unix(0, e.at).UTC())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// At returns, per source polled at or before t, the snapshots a Store
// needs to show the fleet as it was at t, oldest first: the good poll
// before the last good one (so rates come out), the last good one, and a
// failed poll after it when the source was failing at t.
func (p *Player) At(t time.Time) ([]model.Snapshot, error) {
	var out []model.Snapshot
	for g := range p.sources {
		snaps, err := p.sourceAt(g, t.UnixNano())
		if err != nil {
			return nil, err
		}
		out = append(out, snaps...)
	}
	return out, nil
}

func (p *Player) sourceAt(g int, t int64) ([]model.Snapshot, error) {
	idx := p.bySource[g]
	i := sort.Search(len(idx), func(k int) bool { return p.entries[idx[k]].at > t }) - 1
	if i < 0 {
		return nil, nil
	}
	var failed *model.Snapshot
	last := p.entries[idx[i]]
	for i >= 0 && p.entries[idx[i]].typ == recFailed {
		i--
	}
	if last.typ == recFailed {
		s, err := p.failed(g, last)
		if err != nil {
			return nil, err
		}
		failed = &s
	}
	var out []model.Snapshot
	if i >= 0 {
		pg := i - 1 // the previous good poll: start from the keyframe before it, so rates come out
		for pg >= 0 && p.entries[idx[pg]].typ == recFailed {
			pg--
		}
		k := max(pg, 0)
		for k >= 0 && p.entries[idx[k]].typ != recKey {
			k--
		}
		if k < 0 {
			return nil, fmt.Errorf("source %q: delta without a keyframe", p.sources[g].Name)
		}
		// decode forward; deltas apply in place except onto the previous
		// good poll, which is kept for rates
		var prev, cur *model.Snapshot
		for j := k; j <= i; j++ {
			e := p.entries[idx[j]]
			if e.typ == recFailed {
				continue
			}
			s, err := p.decode(g, e, cur, cur != nil && cur != prev)
			if err != nil {
				return nil, err
			}
			cur = s
			if j == pg {
				prev = cur
			}
		}
		if prev != nil && prev != cur {
			out = append(out, *prev)
		}
		out = append(out, *cur)
	}
	if failed != nil {
		out = append(out, *failed)
	}
	return out, nil
}

func (p *Player) read(e entry) ([]byte, error) {
	b := make([]byte, e.n)
	if _, err := p.f.ReadAt(b, e.off); err != nil {
		return nil, err
	}
	return b, nil
}

func (p *Player) failed(g int, e entry) (model.Snapshot, error) {
	b, err := p.read(e)
	if err != nil {
		return model.Snapshot{}, err
	}
	d := dec{b: b}
	s := p.blank(g, e)
	s.Took = time.Duration(d.varint())
	s.Err = errors.New(d.str())
	return s, d.err
}

func (p *Player) blank(g int, e entry) model.Snapshot {
	return model.Snapshot{Source: p.sources[g].Name, Kind: p.sources[g].Kind, At: time.Unix(0, e.at).UTC(), ProxyFailing: p.proxyFailing(g, e.at)}
}

// proxyFailing is whether source g's proxy failed its own health check
// at at, by the last proxy record at or before it.
func (p *Player) proxyFailing(g int, at int64) bool {
	ps := p.proxy[g]
	i := sort.Search(len(ps), func(k int) bool { return ps[k].at > at }) - 1
	return i >= 0 && ps[i].failing
}

// decode rebuilds a keyframe, or a delta on top of prev: in prev itself
// when inPlace (prev is then returned), else in a copy.
func (p *Player) decode(g int, e entry, prev *model.Snapshot, inPlace bool) (*model.Snapshot, error) {
	if cap(p.zbuf) < int(e.n) {
		p.zbuf = make([]byte, e.n)
	}
	z := p.zbuf[:e.n]
	if _, err := p.f.ReadAt(z, e.off); err != nil {
		return nil, err
	}
	if p.zr == nil {
		p.zr = flate.NewReader(nil)
	}
	p.raw.Reset()
	if err := p.zr.(flate.Resetter).Reset(bytes.NewReader(z), nil); err != nil {
		return nil, err
	}
	if _, err := p.raw.ReadFrom(p.zr); err != nil {
		return nil, fmt.Errorf("source %q at %s: %w", p.sources[g].Name, time.Unix(0, e.at).UTC().Format(time.RFC3339), err)
	}
	d := dec{b: p.raw.Bytes()}
	switch {
	case e.typ == recKey:
		s := p.blank(g, e)
		d.keyframe(&s)
		return &s, d.err
	case prev == nil:
		return nil, fmt.Errorf("source %q: delta without a keyframe", p.sources[g].Name)
	case inPlace:
		blank := p.blank(g, e)
		prev.At, prev.Metrics, prev.ProxyFailing = blank.At, nil, blank.ProxyFailing
		d.deltaInPlace(prev)
		return prev, d.err
	}
	s := p.blank(g, e)
	d.delta(prev, &s)
	return &s, d.err
}

// Fleet returns the fleet as it was at t, built by an ordinary Store
// (with merge_as as recorded) whose clock reads t.
func (p *Player) Fleet(t time.Time) (*model.Fleet, error) {
	snaps, err := p.At(t)
	if err != nil {
		return nil, err
	}
	store := model.NewStore(func() time.Time { return t })
	for _, s := range p.sources {
		store.Register(s.Name, s.Kind)
		store.MergeAs(s.Name, s.MergeAs)
	}
	if len(snaps) == 0 {
		return store.Fleet(), nil
	}
	var f *model.Fleet
	for _, s := range snaps {
		f = store.Ingest(s)
	}
	return f, nil
}

// Events returns the recorded events with from ≤ time ≤ to, in recorded
// order (a zero to means no upper bound).
func (p *Player) Events(from, to time.Time) ([]model.Event, error) {
	var out []model.Event
	for _, i := range p.events {
		e := p.entries[i]
		at := time.Unix(0, e.at)
		if at.Before(from) || !to.IsZero() && at.After(to) {
			continue
		}
		b, err := p.read(e)
		if err != nil {
			return nil, err
		}
		var ev model.Event
		if err := json.Unmarshal(b, &ev); err != nil {
			continue // an event this version cannot read
		}
		out = append(out, ev)
	}
	return out, nil
}
