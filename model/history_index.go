package model

import "hash/maphash"

// keyIndex finds a source's backend records by key: an open-addressed
// table of record indexes (plus one; 0 is empty), probed linearly from
// the key's hash, at most half full. The records hold their key and its
// hash, so a slot costs 4 bytes: at 100,000 backends the table takes
// 1 MB, where a Go map of hashes took 4.6 and one of the keys 8.
type keyIndex struct {
	slots []int32
	n     int
}

var keySeed = maphash.MakeSeed()

func hashKey(k backendKey) uint64 {
	return mix(mix(maphash.String(keySeed, k.pool), maphash.String(keySeed, k.inst)), maphash.String(keySeed, k.name))
}

func (x *keyIndex) get(k backendKey, hash uint64, recs []backendHist) (int32, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	mask := uint64(len(x.slots) - 1)
	for i := hash & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			return 0, false
		}
		if bh := &recs[s-1]; bh.hash == hash && bh.key == k {
			return s - 1, true
		}
	}
}

// put adds record r (not yet in the table).
func (x *keyIndex) put(r int32, recs []backendHist) {
	if 2*(x.n+1) > len(x.slots) {
		old := x.slots
		x.slots = make([]int32, max(64, 2*len(old)))
		for _, s := range old {
			if s != 0 {
				x.insert(s, recs[s-1].hash)
			}
		}
	}
	x.insert(r+1, recs[r].hash)
	x.n++
}

func (x *keyIndex) insert(s int32, hash uint64) {
	mask := uint64(len(x.slots) - 1)
	i := hash & mask
	for x.slots[i] != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = s
}

// del removes record r (still holding its key), moving back the records
// probed past its slot so that no probe stops short of them.
func (x *keyIndex) del(r int32, recs []backendHist) {
	if len(x.slots) == 0 {
		return
	}
	mask := uint64(len(x.slots) - 1)
	i := recs[r].hash & mask
	for x.slots[i] != r+1 {
		if x.slots[i] == 0 {
			return
		}
		i = (i + 1) & mask
	}
	x.n--
	for j := (i + 1) & mask; x.slots[j] != 0; j = (j + 1) & mask {
		home := recs[x.slots[j]-1].hash & mask
		// The record at j may move to i unless its home lies in (i, j].
		if i <= j && (home <= i || home > j) || i > j && home <= i && home > j {
			x.slots[i] = x.slots[j]
			i = j
		}
	}
	x.slots[i] = 0
}
