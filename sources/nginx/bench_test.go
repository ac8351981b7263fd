package nginx

import (
	"bytes"
	stdjson "encoding/json"
	"fmt"
	"testing"
)

// plusPayload builds a GET /api/9/http/upstreams body of peers peers in
// upstreams of 10, each peer shaped like the recorded nginx_api.yaml
// example (ssl, response codes, health checks, timestamps).
func plusPayload(peers int) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	states := [...]string{"up", "up", "up", "up", "up", "up", "draining", "down", "unavail", "unhealthy"}
	for i := 0; i < peers; i++ {
		if i%10 == 0 {
			if i > 0 {
				b.WriteString(`],"keepalive":0,"zombies":0,"zone":"z"},`)
			}
			fmt.Fprintf(&b, `"upstream_%05d":{"peers":[`, i/10)
		} else {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"server":"10.%d.%d.%d:8080","name":"10.%d.%d.%d:8080","backup":false,"weight":5,"state":%q,"active":3,`+
			`"ssl":{"handshakes":620311,"handshakes_failed":3432,"session_reuses":36442,"no_common_protocol":4,"handshake_timeout":0,"peer_rejected_cert":0,"verify_failures":{"expired_cert":2,"revoked_cert":1,"hostname_mismatch":2,"other":1}},`+
			`"max_conns":20,"requests":667231,"header_time":20,"response_time":36,"responses":{"1xx":0,"2xx":666310,"3xx":0,"4xx":915,"5xx":6,"codes":{"200":666310,"404":915,"503":6},"total":667231},`+
			`"sent":251946292,"received":19222475454,"fails":3,"unavail":1,"health_checks":{"checks":26214,"fails":4,"unhealthy":1,"last_passed":false},"downtime":0,"downstart":"2022-06-28T11:09:21.602Z","selected":"2022-06-28T15:01:25Z"}`,
			i%10, i>>16&255, i>>8&255, i&255, i>>16&255, i>>8&255, i&255, states[i%10])
	}
	b.WriteString(`],"keepalive":0,"zombies":0,"zone":"z"}}`)
	return b.Bytes()
}

// BenchmarkPlusParseMap10k is parse+map of 10,000 peers, the poll-path
// cost after the transfer. The stdlib case is the fallback decoder, for
// comparison.
func BenchmarkPlusParseMap10k(b *testing.B) {
	payload := plusPayload(10000)
	b.Run("goccy", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		b.ReportAllocs()
		for b.Loop() {
			ups, err := parseUpstreams(payload)
			if err != nil {
				b.Fatal(err)
			}
			if pools := toPools(ups, false); len(pools) != 1000 {
				b.Fatalf("%d pools", len(pools))
			}
		}
	})
	b.Run("stdlib", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]upstream
			if err := stdjson.NewDecoder(bytes.NewReader(payload)).Decode(&m); err != nil {
				b.Fatal(err)
			}
			ups := make([]namedUpstream, 0, len(m))
			for name, u := range m {
				ups = append(ups, namedUpstream{Name: name, upstream: u})
			}
			if pools := toPools(ups, false); len(pools) != 1000 {
				b.Fatalf("%d pools", len(pools))
			}
		}
	})
}

func TestPlusPayloadParses(t *testing.T) {
	t.Parallel()
	ups, err := parseUpstreams(plusPayload(25))
	if err != nil || len(ups) != 3 || len(ups[2].Peers) != 5 {
		t.Fatalf("synthetic payload: %d upstreams, %v", len(ups), err)
	}
}
