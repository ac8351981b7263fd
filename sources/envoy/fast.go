package envoy

import (
	"github.com/lbtop/lbtop/model"
)

// parsePools decodes a /clusters?format=json body and maps it to pools.
// It is pure: the caller fetched data and names the endpoint in any error.
//
// A body in the plain shape Envoy writes goes through fastParser, one pass
// over the bytes straight into model.Backend values; anything else (a
// syntax error, a type mismatch, an escape or capital letter in a key, an
// escape in a value lbtop keeps, a duplicate key, a null where lbtop reads
// a value) makes the fast path give up, and the body is decoded by
// parseClusters (goccy/go-json) as before. So errors and every unusual
// case read exactly as goccy decides them, and FuzzPoolsMatchGoccy holds
// the two paths to the same pools.
func parsePools(data []byte) ([]model.Pool, error) {
	if pools, ok := fastPools(data); ok {
		return pools, nil
	}
	doc, err := parseClusters(data)
	if err != nil {
		return nil, err
	}
	return toPools(doc), nil
}

// maxFastDepth bounds the nesting the fast path follows in values it
// skips; deeper documents go to goccy, whose own limit is 10,000.
const maxFastDepth = 1000

// fastParser walks a whole /clusters document. Its methods return false
// as soon as the input leaves the plain shape, never an error: the slow
// path then decodes the body and reports what is wrong with it.
type fastParser struct {
	b     []byte
	i     int
	pools []model.Pool
	zones map[string]string // a few zones shared by many hosts: one string each
	stack []byte            // closing brackets of the values skip is inside

	// Hosts are mapped straight into chunk, whose capacity grows to
	// maxChunk backends; each cluster's hosts stay contiguous in one
	// chunk, from chunk[first:]. Growing one array for all hosts instead
	// cleared and copied twice the memory.
	chunk []model.Backend
	first int
}

// maxChunk caps the backends allocated at once (about 200 KiB).
const maxChunk = 1024

// fastPools maps data to pools, or reports false when the fast path
// cannot vouch for the result.
func fastPools(data []byte) ([]model.Pool, bool) {
	// A non-nil chunk keeps empty pools non-nil, as toPools makes them.
	p := fastParser{b: data, chunk: []model.Backend{}, pools: []model.Pool{}}
	if !p.document() {
		return nil, false
	}
	return p.pools, true
}

// nextBackend returns room for the next host of the current cluster.
func (p *fastParser) nextBackend() *model.Backend {
	if len(p.chunk) == cap(p.chunk) {
		cur := p.chunk[p.first:] // the current cluster's hosts so far
		next := make([]model.Backend, len(cur), max(min(2*cap(p.chunk), maxChunk), 16, 2*len(cur)))
		copy(next, cur)
		p.chunk, p.first = next, 0
	}
	p.chunk = p.chunk[:len(p.chunk)+1]
	return &p.chunk[len(p.chunk)-1]
}

// endCluster returns the current cluster's hosts with capped capacity, as
// toPools slices them, so appending to one pool cannot reach the next.
func (p *fastParser) endCluster() []model.Backend {
	bs := p.chunk[p.first:len(p.chunk):len(p.chunk)]
	p.first = len(p.chunk)
	return bs
}

// document reads the top-level object and checks nothing follows it.
func (p *fastParser) document() bool {
	p.ws()
	var seen uint16
	ok := p.object(func(key []byte) bool {
		if string(key) != "cluster_statuses" {
			return p.skip()
		}
		return p.once(&seen, 1) && p.array(p.cluster)
	})
	if !ok {
		return false
	}
	p.ws()
	return p.i == len(p.b)
}

// cluster reads one cluster_statuses element.
func (p *fastParser) cluster() bool {
	var name string
	var seen uint16
	ok := p.object(func(key []byte) bool {
		switch string(key) {
		case "name":
			return p.once(&seen, 1) && p.str(&name)
		case "host_statuses":
			return p.once(&seen, 2) && p.array(p.host)
		}
		return p.skip()
	})
	p.pools = append(p.pools, model.Pool{Name: name, Backends: p.endCluster()})
	return ok
}

// host reads one host_statuses element and maps it with toBackend.
func (p *fastParser) host() bool {
	var h hostStatus
	var seen uint16
	ok := p.object(func(key []byte) bool {
		switch string(key) {
		case "address":
			return p.once(&seen, 1<<0) && p.address(&h.Address)
		case "stats":
			return p.once(&seen, 1<<1) && p.stats(&h.Stats)
		case "health_status":
			return p.once(&seen, 1<<2) && p.health(&h.HealthStatus)
		case "weight":
			return p.once(&seen, 1<<3) && p.uint32(&h.Weight)
		case "hostname":
			return p.once(&seen, 1<<4) && p.str(&h.Hostname)
		case "priority":
			return p.once(&seen, 1<<5) && p.uint32(&h.Priority)
		case "locality":
			return p.once(&seen, 1<<6) && p.object(func(key []byte) bool {
				if string(key) != "zone" {
					return p.skip()
				}
				return p.once(&seen, 1<<7) && p.zone(&h.Locality.Zone)
			})
		}
		return p.skip()
	})
	if !ok {
		return false
	}
	toBackend(&h, p.nextBackend())
	return true
}

// stats reads a host's stats array the way hostStats.UnmarshalJSON (the
// scanner goccy calls) reads it, in the same pass that checks it is valid
// JSON: keys compared as raw bytes, the last "name" and "value" of each
// object winning, a value a uint64 as digits in a string or as a number,
// or null. A value the scanner would refuse is left to goccy.
func (p *fastParser) stats(hs *hostStats) bool {
	if p.literal("null") {
		return true
	}
	if !p.consume('[') {
		return false
	}
	p.ws()
	if p.consume(']') {
		return true
	}
	for {
		var name []byte
		var value uint64
		ok := p.object(func(key []byte) bool {
			switch string(key) {
			case "name":
				start := p.i
				if p.peek() != '"' || !p.skipString() {
					return false
				}
				name = p.b[start+1 : p.i-1]
				return true
			case "value":
				return p.statValue(&value)
			}
			return p.skip()
		})
		if !ok {
			return false
		}
		switch string(name) {
		case "cx_active":
			hs.CxActive = value
		case "rq_total":
			hs.RqTotal = value
		case "rq_error":
			hs.RqError = value
		}
		p.ws()
		if p.consume(',') {
			p.ws()
			continue
		}
		return p.consume(']')
	}
}

// statValue reads a stat value as scanner.uint does.
func (p *fastParser) statValue(v *uint64) bool {
	start := p.i
	switch c := p.peek(); {
	case c == 'n':
		*v = 0
		return p.literal("null")
	case c == '"':
		if !p.skipString() {
			return false
		}
		n, ok := parseUint64(p.b[start+1 : p.i-1])
		*v = n
		return ok
	case c == '-' || c >= '0' && c <= '9':
		if !p.number() {
			return false
		}
		n, ok := parseUint64(p.b[start:p.i])
		*v = n
		return ok
	}
	return false
}

// address reads an Address object.
func (p *fastParser) address(a *address) bool {
	var seen uint16
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "socket_address":
			return p.once(&seen, 1<<0) && p.object(func(key []byte) bool {
				switch string(key) {
				case "address":
					return p.once(&seen, 1<<1) && p.str(&a.SocketAddress.Address)
				case "port_value":
					return p.once(&seen, 1<<2) && p.uint32(&a.SocketAddress.PortValue)
				case "named_port":
					return p.once(&seen, 1<<3) && p.str(&a.SocketAddress.NamedPort)
				}
				return p.skip()
			})
		case "pipe":
			return p.once(&seen, 1<<4) && p.object(func(key []byte) bool {
				if string(key) != "path" {
					return p.skip()
				}
				return p.once(&seen, 1<<5) && p.str(&a.Pipe.Path)
			})
		case "envoy_internal_address":
			return p.once(&seen, 1<<6) && p.object(func(key []byte) bool {
				switch string(key) {
				case "server_listener_name":
					return p.once(&seen, 1<<7) && p.str(&a.EnvoyInternalAddress.ServerListenerName)
				case "endpoint_id":
					return p.once(&seen, 1<<8) && p.str(&a.EnvoyInternalAddress.EndpointID)
				}
				return p.skip()
			})
		}
		return p.skip()
	})
}

// health reads a HostHealthStatus object.
func (p *fastParser) health(hs *healthStatus) bool {
	var seen uint16
	flag := func(bit uint16, v *bool) bool {
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return p.boolean(v)
	}
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "failed_active_health_check":
			return flag(1<<0, &hs.FailedActiveHealthCheck)
		case "failed_outlier_check":
			return flag(1<<1, &hs.FailedOutlierCheck)
		case "failed_active_degraded_check":
			return flag(1<<2, &hs.FailedActiveDegradedCheck)
		case "pending_dynamic_removal":
			return flag(1<<3, &hs.PendingDynamicRemoval)
		case "pending_active_hc":
			return flag(1<<4, &hs.PendingActiveHC)
		case "excluded_via_immediate_hc_fail":
			return flag(1<<5, &hs.ExcludedViaImmediateHCFail)
		case "active_hc_timeout":
			return flag(1<<6, &hs.ActiveHCTimeout)
		case "failed_degraded_outlier_detection":
			return flag(1<<7, &hs.FailedDegradedOutlierDetection)
		case "eds_health_status":
			if seen&(1<<8) != 0 {
				return false
			}
			seen |= 1 << 8
			// A plain string or a number goes to the same UnmarshalJSON
			// goccy calls; null, objects and the like go to goccy.
			start := p.i
			switch c := p.peek(); {
			case c == '"':
				var s string
				if !p.plainString(&s, false) {
					return false
				}
			case c == '-' || c >= '0' && c <= '9':
				if !p.number() {
					return false
				}
			default:
				return false
			}
			return hs.EDSHealthStatus.UnmarshalJSON(p.b[start:p.i]) == nil
		}
		return p.skip()
	})
}

// once records bit in *seen and reports whether it was clear: a known key
// seen twice is left to goccy, which merges or overwrites.
func (p *fastParser) once(seen *uint16, bit uint16) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}
