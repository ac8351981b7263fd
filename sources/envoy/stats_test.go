package envoy

import (
	"bytes"
	stdjson "encoding/json"
	"testing"
)

func TestHostStatsScanner(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    hostStats
		wantErr bool
	}{
		{"null", `null`, hostStats{}, false},
		{"empty", ` [ ] `, hostStats{}, false},
		{"strings", `[{"name":"cx_active","value":"3","type":"GAUGE"},{"name":"rq_total","value":"10"},{"name":"rq_error","value":"2"}]`,
			hostStats{CxActive: 3, RqTotal: 10, RqError: 2}, false},
		{"numbers, value first, pretty", "[\n {\n  \"type\": \"COUNTER\",\n  \"value\": 10,\n  \"name\": \"rq_total\"\n }\n]",
			hostStats{RqTotal: 10}, false},
		{"unknown keys with nested values", `[{"x":{"a":[1,"]}",{"b":null}]},"name":"rq_error","y":[],"value":7,"z":true}]`,
			hostStats{RqError: 7}, false},
		{"escaped quote in a skipped string", `[{"help":"say \"hi\" \\","name":"rq_total","value":"1"}]`, hostStats{RqTotal: 1}, false},
		{"unknown names ignored", `[{"name":"rq_timeout","value":"9"},{"name":"cx_active","value":1}]`, hostStats{CxActive: 1}, false},
		{"missing value is zero", `[{"name":"rq_total"}]`, hostStats{}, false},
		{"null value is zero", `[{"name":"rq_total","value":null}]`, hostStats{}, false},
		{"empty object", `[{}]`, hostStats{}, false},
		{"max uint64", `[{"name":"rq_total","value":18446744073709551615}]`, hostStats{RqTotal: 1<<64 - 1}, false},

		{"not an array", `{"name":"rq_total"}`, hostStats{}, true},
		{"element not an object", `[1]`, hostStats{}, true},
		{"name not a string", `[{"name":1,"value":1}]`, hostStats{}, true},
		{"negative", `[{"name":"rq_total","value":-1}]`, hostStats{}, true},
		{"float", `[{"name":"rq_total","value":1e3}]`, hostStats{}, true},
		{"overflow", `[{"name":"rq_total","value":"18446744073709551616"}]`, hostStats{}, true},
		{"missing colon", `[{"name" "rq_total"}]`, hostStats{}, true},
		{"missing comma", `[{"name":"rq_total" "value":1}]`, hostStats{}, true},
		{"unterminated string", `[{"name":"rq_tot`, hostStats{}, true},
		{"unterminated array", `[{"name":"rq_total","value":1}`, hostStats{}, true},
		{"trailing data", `[] x`, hostStats{}, true},
		{"unterminated nested", `[{"x":[1,2`, hostStats{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got hostStats
			err := got.UnmarshalJSON([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			if err == nil && got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// oracleStats decodes a stats array with encoding/json, the reference the
// scanner must agree with. ok is false when encoding/json cannot decode
// it as an array of objects, or it has escapes (the scanner compares names
// undecoded, by design).
func oracleStats(in []byte) (want hostStats, wantErr, ok bool) {
	if bytes.IndexByte(in, '\\') >= 0 {
		return hostStats{}, false, false
	}
	var arr []map[string]stdjson.RawMessage
	if err := stdjson.Unmarshal(in, &arr); err != nil {
		return hostStats{}, false, false
	}
	for _, obj := range arr {
		var name string
		if raw, has := obj["name"]; has {
			if err := stdjson.Unmarshal(raw, &name); err != nil || raw[0] != '"' {
				return hostStats{}, true, true // a name that is not a string
			}
		}
		var v uint64
		if raw, has := obj["value"]; has && string(raw) != "null" {
			digits := bytes.Trim(raw, `"`)
			n, good := parseUint64(digits)
			if !good || (raw[0] == '"') != (raw[len(raw)-1] == '"') {
				return hostStats{}, true, true
			}
			v = n
		}
		switch name {
		case "cx_active":
			want.CxActive = v
		case "rq_total":
			want.RqTotal = v
		case "rq_error":
			want.RqError = v
		}
	}
	return want, false, true
}

func FuzzHostStats(f *testing.F) {
	for _, seed := range []string{
		`[{"name":"cx_active","value":"3","type":"GAUGE"},{"name":"rq_total","value":"10"}]`,
		`[{"type":"COUNTER","value":10,"name":"rq_error"}]`,
		`[{"x":{"a":[1,"]}"]},"name":"rq_error","value":7}]`,
		`null`, `[]`, `[{}]`, `[{"name":"rq_total","value":"1"},{"name":"rq_total","value":"2"}]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var got hostStats
		err := got.UnmarshalJSON(in) // must never panic
		want, wantErr, ok := oracleStats(in)
		if !ok {
			return
		}
		if wantErr != (err != nil) {
			t.Fatalf("%q: error %v, encoding/json says error %v", in, err, wantErr)
		}
		if err == nil && got != want {
			t.Fatalf("%q: got %+v, encoding/json gives %+v", in, got, want)
		}
	})
}
