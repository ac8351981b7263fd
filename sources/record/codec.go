package record

import (
	"encoding/binary"
	"errors"
	"math"
	"time"

	"github.com/lbtop/lbtop/model"
)

// enc appends the primitive encodings of docs/recording.md to a buffer.
type enc struct{ b []byte }

func (e *enc) byte(v byte)        { e.b = append(e.b, v) }
func (e *enc) uvarint(v uint64)   { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) varint(v int64)     { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) float(v float64)    { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *enc) str(s string)       { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *enc) bool(v bool)        { e.byte(boolByte(v)) }
func (e *enc) time(t time.Time)   { e.varint(unixNano(t)) }
func (e *enc) counter(a, b int64) { e.varint(b - a) }

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNano(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// errShort is a payload that ends early: a corrupt record.
var errShort = errors.New("record payload too short")

// dec reads what enc wrote; the first error sticks and zero values follow.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail() {
	if d.err == nil {
		d.err = errShort
	}
	d.b = nil
}

func (d *dec) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *dec) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) float() float64 {
	if len(d.b) < 8 {
		d.fail()
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

func (d *dec) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *dec) bool() bool      { return d.byte() != 0 }
func (d *dec) time() time.Time { return fromNano(d.varint()) }

// header is what keyframes and deltas both carry in full: the small,
// snapshot-level fields.
func (e *enc) header(s *model.Snapshot) {
	e.varint(int64(s.Took))
	e.str(s.Note)
	e.uvarint(uint64(len(s.Metrics)))
	for _, m := range s.Metrics {
		e.str(m.Name)
		e.float(m.Value)
		e.bool(m.Counter)
	}
}

func (d *dec) header(s *model.Snapshot) {
	s.Took = time.Duration(d.varint())
	s.Note = d.str()
	n := d.uvarint()
	for i := uint64(0); i < n && d.err == nil; i++ {
		s.Metrics = append(s.Metrics, model.Metric{Name: d.str(), Value: d.float(), Counter: d.bool()})
	}
}

// keyframe encodes a whole snapshot.
func (e *enc) keyframe(s *model.Snapshot) {
	e.header(s)
	e.uvarint(uint64(len(s.Pools)))
	for i := range s.Pools {
		p := &s.Pools[i]
		e.str(p.Name)
		e.str(p.Note)
		e.aggregate(p.Aggregate)
		e.uvarint(uint64(len(p.Backends)))
		for j := range p.Backends {
			b := &p.Backends[j]
			e.str(b.Name)
			e.str(b.Address)
			e.str(b.Instance)
			e.backend(&model.Backend{Weight: 0}, b, allFields)
		}
	}
}

func (d *dec) keyframe(s *model.Snapshot) {
	d.header(s)
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return
	}
	s.Pools = make([]model.Pool, n)
	for i := range s.Pools {
		p := &s.Pools[i]
		p.Name = d.str()
		p.Note = d.str()
		p.Aggregate = d.aggregate()
		m := d.uvarint()
		if m > uint64(len(d.b)) {
			d.fail()
			return
		}
		p.Backends = make([]model.Backend, m)
		for j := range p.Backends {
			b := &p.Backends[j]
			b.Name, b.Address, b.Instance = d.str(), d.str(), d.str()
			d.backend(b, &model.Backend{})
		}
	}
}

func (e *enc) aggregate(a *model.Aggregate) {
	if a == nil {
		e.byte(0)
		return
	}
	e.byte(1)
	e.str(a.Instance)
	e.varint(int64(a.Healthy))
	e.varint(int64(a.Total))
	e.varint(a.Active)
	e.float(a.ReqRate)
	e.float(a.ErrRate)
	e.bool(a.HasRates)
}

func (d *dec) aggregate() *model.Aggregate {
	if d.byte() == 0 {
		return nil
	}
	return &model.Aggregate{Instance: d.str(), Healthy: int(d.varint()), Total: int(d.varint()), Active: d.varint(), ReqRate: d.float(), ErrRate: d.float(), HasRates: d.bool()}
}

// The fields of a backend that a delta may carry, as bits of its mask.
const (
	fHealth = 1 << iota
	fReason
	fWeight
	fActive
	fRequests
	fErrors
	fRates
	fSince
	fAdmin
	fFlags
	fZone
	allFields = 1<<iota - 1
)

// changed returns the mask of fields in which b differs from old.
func changed(old, b *model.Backend) uint64 {
	var m uint64
	set := func(bit uint64, diff bool) {
		if diff {
			m |= bit
		}
	}
	set(fHealth, old.Health != b.Health)
	set(fReason, old.Reason != b.Reason)
	set(fWeight, old.Weight != b.Weight)
	set(fActive, old.Active != b.Active)
	set(fRequests, old.Requests != b.Requests)
	set(fErrors, old.Errors != b.Errors)
	set(fRates, old.ReqRate != b.ReqRate || old.ErrRate != b.ErrRate)
	set(fSince, !old.Since.Equal(b.Since))
	set(fAdmin, old.Admin != b.Admin)
	set(fFlags, flags(old) != flags(b))
	set(fZone, old.Zone != b.Zone)
	return m
}

func flags(b *model.Backend) byte {
	return boolByte(b.Backup) | boolByte(b.Counters)<<1 | boolByte(b.HasRates)<<2
}

// backend writes the fields in mask of b, numbers as differences from old
// (counters change by small amounts, which is what keeps deltas small).
func (e *enc) backend(old, b *model.Backend, mask uint64) {
	e.uvarint(mask)
	if mask&fHealth != 0 {
		e.byte(byte(b.Health))
	}
	if mask&fReason != 0 {
		e.str(b.Reason)
	}
	if mask&fWeight != 0 {
		e.counter(int64(old.Weight), int64(b.Weight))
	}
	if mask&fActive != 0 {
		e.counter(old.Active, b.Active)
	}
	if mask&fRequests != 0 {
		e.counter(int64(old.Requests), int64(b.Requests))
	}
	if mask&fErrors != 0 {
		e.counter(int64(old.Errors), int64(b.Errors))
	}
	if mask&fRates != 0 {
		e.float(b.ReqRate)
		e.float(b.ErrRate)
	}
	if mask&fSince != 0 {
		e.time(b.Since)
	}
	if mask&fAdmin != 0 {
		e.byte(byte(b.Admin))
	}
	if mask&fFlags != 0 {
		e.byte(flags(b))
	}
	if mask&fZone != 0 {
		e.str(b.Zone)
	}
}

// backend applies what enc.backend wrote onto b, which starts as a copy
// of old.
func (d *dec) backend(b, old *model.Backend) {
	mask := d.uvarint()
	if mask&fHealth != 0 {
		b.Health = model.Health(d.byte())
	}
	if mask&fReason != 0 {
		b.Reason = d.str()
	}
	if mask&fWeight != 0 {
		b.Weight = int(int64(old.Weight) + d.varint())
	}
	if mask&fActive != 0 {
		b.Active = old.Active + d.varint()
	}
	if mask&fRequests != 0 {
		b.Requests = uint64(int64(old.Requests) + d.varint())
	}
	if mask&fErrors != 0 {
		b.Errors = uint64(int64(old.Errors) + d.varint())
	}
	if mask&fRates != 0 {
		b.ReqRate, b.ErrRate = d.float(), d.float()
	}
	if mask&fSince != 0 {
		b.Since = d.time()
	}
	if mask&fAdmin != 0 {
		b.Admin = model.AdminState(d.byte())
	}
	if mask&fFlags != 0 {
		f := d.byte()
		b.Backup, b.Counters, b.HasRates = f&1 != 0, f&2 != 0, f&4 != 0
	}
	if mask&fZone != 0 {
		b.Zone = d.str()
	}
}

// sameShape reports whether s has the same pools and backends (names,
// addresses, instances, in order) as prev, so a delta can describe it.
func sameShape(prev, s *model.Snapshot) bool {
	if len(prev.Pools) != len(s.Pools) {
		return false
	}
	for i := range s.Pools {
		a, b := &prev.Pools[i], &s.Pools[i]
		if a.Name != b.Name || len(a.Backends) != len(b.Backends) {
			return false
		}
		for j := range b.Backends {
			x, y := &a.Backends[j], &b.Backends[j]
			if x.Name != y.Name || x.Address != y.Address || x.Instance != y.Instance {
				return false
			}
		}
	}
	return true
}

// delta encodes s as changes from prev, which has the same shape.
func (e *enc) delta(prev, s *model.Snapshot) {
	e.header(s)
	for i := range s.Pools {
		a, b := &prev.Pools[i], &s.Pools[i]
		e.bool(a.Note != b.Note)
		if a.Note != b.Note {
			e.str(b.Note)
		}
		e.aggregate(b.Aggregate)
		for j := range b.Backends {
			old, nb := &a.Backends[j], &b.Backends[j]
			e.backend(old, nb, changed(old, nb))
		}
	}
}

// delta rebuilds a snapshot from prev and what enc.delta wrote.
func (d *dec) delta(prev *model.Snapshot, s *model.Snapshot) {
	d.header(s)
	s.Pools = make([]model.Pool, len(prev.Pools))
	for i := range s.Pools {
		a, p := &prev.Pools[i], &s.Pools[i]
		p.Name, p.Note = a.Name, a.Note
		if d.bool() {
			p.Note = d.str()
		}
		p.Aggregate = d.aggregate()
		p.Backends = make([]model.Backend, len(a.Backends))
		copy(p.Backends, a.Backends)
		for j := range p.Backends {
			d.backend(&p.Backends[j], &a.Backends[j])
		}
	}
}

// deltaInPlace applies what enc.delta wrote onto s itself (whose shape is
// the previous poll's): no copy, for decoding forward through a chain.
func (d *dec) deltaInPlace(s *model.Snapshot) {
	d.header(s)
	for i := range s.Pools {
		p := &s.Pools[i]
		if d.bool() {
			p.Note = d.str()
		}
		p.Aggregate = d.aggregate()
		for j := range p.Backends {
			b := &p.Backends[j]
			d.backend(b, b)
		}
	}
}
