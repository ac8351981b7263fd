package envoy

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lbtop/lbtop/model"
)

// goccyPools is the decode parsePools replaced, goccy/go-json into the
// hand-written structs, then toPools: the oracle of the fast path.
func goccyPools(data []byte) ([]model.Pool, error) {
	doc, err := parseClusters(data)
	if err != nil {
		return nil, err
	}
	return toPools(doc), nil
}

// checkMatchesGoccy fails t unless parsePools gives exactly what the goccy
// decode gives for data: the same pools, or the same error.
func checkMatchesGoccy(t *testing.T, data []byte) {
	t.Helper()
	got, gotErr := parsePools(data)
	want, wantErr := goccyPools(data)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("%.200q: parsePools error %v, goccy %v", data, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%.200q:\nparsePools %+v\ngoccy      %+v", data, got, want)
	}
}

// fastSeeds are documents aimed at the edges of the fast path: each must
// either take it with the same result or fall back to goccy.
var fastSeeds = []string{
	`{}`, ` {} `, `null`, `{"cluster_statuses":null}`, `{"cluster_statuses":[]}`, `[]`, ``,
	`{"cluster_statuses":[{"name":"a"},{"name":"b","host_statuses":[]}]}`,
	`{"cluster_statuses":[{"name":"a","name":"b"}]}`,
	`{"Cluster_Statuses":[{"NAME":"x","host_statuses":[{"WEIGHT":3}]}]}`,
	`{"cluſter_statuses":[{"name":"a"}]}`,
	`{"cluster_statuses":[null,{"name":null,"host_statuses":[null,{"weight":null}]}]}`,
	hostJSON(`{"weight":1.0}`), hostJSON(`{"weight":-0}`), hostJSON(`{"weight":01}`), hostJSON(`{"weight":4294967295}`),
	hostJSON(`{"weight":4294967296}`), hostJSON(`{"priority":0,"weight":0}`),
	hostJSON(`{"hostname":"a\u00e9\n"}`), hostJSON("{\"hostname\":\"a\xffb\"}"), hostJSON("{\"hostname\":\"é\"}"),
	hostJSON(`{"address":{"socket_address":{"address":"a"}},"address":{"socket_address":{"port_value":1}}}`),
	hostJSON(`{"address":{"socket_address":{"address":"::1","port_value":0,"named_port":"p"},"pipe":{"path":"/s"}}}`),
	hostJSON(`{"address":{"envoy_internal_address":{"server_listener_name":"l","endpoint_id":"e"}}}`),
	hostJSON(`{"health_status":{"eds_health_status":"HEALTHY","eds_health_status":"DRAINING"}}`),
	hostJSON(`{"health_status":{"eds_health_status":"QUARANTINED_FOR_A_VERY_LONG_TIME_INDEED_YES"}}`),
	hostJSON(`{"health_status":{"eds_health_status":5}}`), hostJSON(`{"health_status":{"eds_health_status":-1.5e3}}`),
	hostJSON(`{"health_status":{"eds_health_status":true}}`), hostJSON(`{"health_status":{"eds_health_status":"\u0048EALTHY"}}`),
	hostJSON(`{"health_status":{"failed_outlier_check":true,"active_hc_timeout":false,"pending_active_hc":1}}`),
	hostJSON(`{"stats":[{"name":"rq_total","value":"3"},{"name":"rq_error","value":2,"x":[{}]}]}`),
	hostJSON(`{"stats":[{"name":"rq_total","value":-1}]}`), hostJSON(`{"stats":[{"name":"rq_total","value":abc}]}`),
	hostJSON(`{"stats":null}`), hostJSON(`{"stats":"x"}`),
	hostJSON(`{"locality":{"region":"r","zone":"z"},"x":{"a":[1,-2.5e+3,true,false,null,"\"\\\/\b\f\n\r\t\u00ff"]}}`),
	hostJSON(`{"x":[1,]}`), hostJSON(`{"x":{"a" 1}}`), hostJSON(`{"x":"\q"}`), hostJSON(`{"x":tru}`), hostJSON(`{"x":1.}`),
	`{"cluster_statuses":[{"name":"a"}]}x`, `{"cluster_statuses":[{"name":"a"}]} ` + "\n",
	`{"x":` + strings.Repeat("[", 1001) + strings.Repeat("]", 1001) + `}`,
}

// FuzzPoolsMatchGoccy holds parsePools to the goccy decode on any input,
// seeded with the recorded payloads, a generated one and fastSeeds.
func FuzzPoolsMatchGoccy(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(recordedDir, "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no recorded payloads: %v", err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(genClusters(2, 3, false))
	f.Add(genClusters(2, 3, true))
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkMatchesGoccy(t, data)
	})
}

// TestFastPathTaken checks the fast path handles what Envoy writes, so
// the speed-up is not lost to a silent fallback.
func TestFastPathTaken(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(recordedDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded payloads: %v", err)
	}
	inputs := map[string][]byte{
		"generated string stats": genClusters(20, 10, false),
		"generated number stats": genClusters(20, 10, true),
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(name)] = data
	}
	for name, data := range inputs {
		if _, ok := fastPools(data); !ok {
			t.Errorf("%s: the fast path gave up", name)
		}
		checkMatchesGoccy(t, data)
	}
}

// TestByteTables checks the byte tables against their definitions.
func TestByteTables(t *testing.T) {
	t.Parallel()
	if len(keyBytes) != 256 || len(strBytes) != 256 {
		t.Fatalf("tables of %d and %d bytes, want 256", len(keyBytes), len(strBytes))
	}
	for c := range 256 {
		b := byte(c)
		key := b >= 0x20 && b < 0x7f && b != '"' && b != '\\' && (b < 'A' || b > 'Z')
		str := b >= 0x20 && b != '"' && b != '\\'
		if (keyBytes[b] == 1) != key || (strBytes[b] == 1) != str || keyBytes[b] > 1 || strBytes[b] > 1 {
			t.Errorf("byte %#x: key table %d want %v, string table %d want %v", b, keyBytes[b], key, strBytes[b], str)
		}
	}
}
