package haproxy

import (
	"bufio"
	"io"
	"strings"
	"testing"
)

func TestCutRow(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, want string
		k              int
		quoted         bool
	}{
		{"cuts after k fields", "a,b,c,d,e,\n", "a,b,\n", 2, false},
		{"exactly k fields", "a,b,\n", "a,b,\n", 2, false},
		{"fewer fields", "a,\n", "a,\n", 2, false},
		{"k fields without trailing comma", "a,b\n", "a,b\n", 2, false},
		{"quoted comma before the cut", `"a,x",b,c,d,` + "\n", `"a,x",b,` + "\n", 2, false},
		{"escaped quote before the cut", `"a""x",b,c,` + "\n", `"a""x",b,` + "\n", 2, false},
		{"quote after the cut: whole row", `a,b,"c,d",e,` + "\n", `a,b,"c,d",e,` + "\n", 2, false},
		{"no newline: whole row", "a,b,c,d,", "a,b,c,d,", 2, false},
		{"k 0 keeps all", "a,b,c,\n", "a,b,c,\n", 0, false},
		{"opens a multi-line field", `a,"b` + "\n", `a,"b` + "\n", 3, true},
		{"opens a multi-line field after the cut", `a,b,"c` + "\n", `a,b,"c` + "\n", 2, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, quoted := cutRow([]byte(c.in), c.k)
			if string(got) != c.want || quoted != c.quoted {
				t.Errorf("cutRow(%q, %d) = %q, %v; want %q, %v", c.in, c.k, got, quoted, c.want, c.quoted)
			}
		})
	}
}

func TestColumnCutterStream(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 70<<10) // longer than the 64 KiB buffer
	in := "a,b,c,d,\n" +
		long + ",b,c,d,\n" +
		`a,"multi` + "\n" + `line,with,commas",c,d,` + "\n" +
		"a,b,c,d,\n" +
		"a,b,c"
	want := "a,b,\n" +
		long + ",b,c,d,\n" +
		`a,"multi` + "\n" + `line,with,commas",c,d,` + "\n" +
		"a,b,\n" +
		"a,b,c"
	br := bufio.NewReaderSize(strings.NewReader(in), 64<<10)
	got, err := io.ReadAll(cutAfter(br, 2))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("cut stream =\n%.200q\nwant\n%.200q", got, want)
	}
}
