package model

import (
	"encoding/binary"
	"math/bits"
)

// sampleRing is a pool's last size samples, one per tick: the newest (up
// to blockLen) as they are, the older ones packed by blocks of blockLen.
// (A ring shorter than blockLen packs blocks of its size.) A block
// stores, per field of psample (req, 5xx, active), the least
// code in the block and the bits needed above it, then each sample in
// the sum of those widths. Codes within a block are close (a pool's
// rates move by a few percent a poll; an idle pool's are all 0), so a
// block takes 8 + 8×width bytes where the raw samples took 256: at
// 100,000 backends whose counters change every poll, the rings of 10,000
// pools take ~2.5 bytes a sample instead of 4; idle ones next to nothing.
type sampleRing struct {
	size   int
	n      int       // samples held, up to size
	recent []psample // the newest samples, oldest first; at most per
	packed []byte    // sealed blocks, oldest first, allocated to their size
	blocks int       // in packed
}

const (
	blockLen    = 64
	blockHeader = 8
)

// per is the number of samples in a block.
func (r *sampleRing) per() int { return min(blockLen, r.size) }

// last returns the newest sample; the ring holds one.
func (r *sampleRing) last() psample { return r.recent[len(r.recent)-1] }

// setLast replaces the newest sample.
func (r *sampleRing) setLast(s psample) { r.recent[len(r.recent)-1] = s }

// push adds the newest sample, packing the recent ones when blockLen are
// waiting and dropping the oldest block once it holds none of the last
// size samples.
func (r *sampleRing) push(s psample) {
	if r.recent == nil {
		r.recent = make([]psample, 0, r.per())
	}
	if len(r.recent) == cap(r.recent) {
		r.seal()
	}
	r.recent = append(r.recent, s)
	r.n = min(r.n+1, r.size)
	if r.blocks > 0 && (r.blocks-1)*r.per()+len(r.recent) >= r.n {
		sz := r.blockSize(r.packed)
		r.packed = append([]byte(nil), r.packed[sz:]...) // exact: the dropped block is freed
		r.blocks--
	}
}

// seal packs the recent samples (a full block) after the others.
func (r *sampleRing) seal() {
	var lo, hi [3]uint32
	for i, s := range r.recent {
		for f := range 3 {
			v := field(s, f)
			if i == 0 || v < lo[f] {
				lo[f] = v
			}
			hi[f] = max(hi[f], v)
		}
	}
	var w [3]uint
	for f := range 3 {
		w[f] = uint(bits.Len32(hi[f] - lo[f]))
	}
	width := w[0] + w[1] + w[2]
	out := make([]byte, len(r.packed)+blockHeader+(r.per()*int(width)+7)/8)
	copy(out, r.packed)
	b := out[len(r.packed):]
	binary.LittleEndian.PutUint16(b[0:], uint16(lo[0]))
	binary.LittleEndian.PutUint16(b[2:], uint16(lo[1]))
	b[4], b[5], b[6], b[7] = byte(lo[2]), byte(w[0]), byte(w[1]), byte(w[2])
	data := b[blockHeader:]
	for i, s := range r.recent {
		v := uint64(field(s, 0)-lo[0]) | uint64(field(s, 1)-lo[1])<<w[0] | uint64(field(s, 2)-lo[2])<<(w[0]+w[1])
		off := uint(i) * width
		for k := uint(0); k < (off%8+width+7)/8; k++ {
			data[off/8+k] |= byte(v << (off % 8) >> (8 * k))
		}
	}
	r.packed = out
	r.blocks++
	r.recent = r.recent[:0]
}

// field returns field f of a sample: 0 req, 1 5xx, 2 active.
func field(s psample, f int) uint32 {
	switch f {
	case 0:
		return uint32(s) & maxRateCode
	case 1:
		return uint32(s>>12) & maxRateCode
	}
	return uint32(s >> 24)
}

// blockSize is the size of the block b starts with.
func (r *sampleRing) blockSize(b []byte) int {
	return blockHeader + (r.per()*int(b[5]+b[6]+b[7])+7)/8
}

// back returns the sample k ticks before the newest (k < n).
func (r *sampleRing) back(k int) psample {
	if k < len(r.recent) {
		return r.recent[len(r.recent)-1-k]
	}
	k -= len(r.recent)
	per := r.per()
	blk, i := r.blocks-1-k/per, per-1-k%per
	b := r.packed
	for range blk {
		b = b[r.blockSize(b):]
	}
	w0, w1, w2 := uint(b[5]), uint(b[6]), uint(b[7])
	width := w0 + w1 + w2
	off := uint(i) * width
	var v uint64
	data := b[blockHeader:]
	for k := uint(0); k < (off%8+width+7)/8; k++ {
		v |= uint64(data[off/8+k]) << (8 * k)
	}
	v >>= off % 8
	req := uint32(binary.LittleEndian.Uint16(b[0:])) + uint32(v&(1<<w0-1))
	e := uint32(binary.LittleEndian.Uint16(b[2:])) + uint32(v>>w0&(1<<w1-1))
	act := uint32(b[4]) + uint32(v>>(w0+w1)&(1<<w2-1))
	return psample(req | e<<12 | act<<24)
}
