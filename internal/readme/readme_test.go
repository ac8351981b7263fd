package readme

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReplaceAndUpdate(t *testing.T) {
	t.Parallel()
	begin, end := markers("keys")
	text := "# x\n" + begin + "old\n" + end + "tail\n"
	got, err := Replace(text, "keys", "new\nlines\n")
	if err != nil || got != "# x\n"+begin+"new\nlines\n"+end+"tail\n" {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := Replace(text, "flags", "x"); err == nil {
		t.Error("a missing section is not an error")
	}
	path := filepath.Join(t.TempDir(), "README.md")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Update(path, "keys", "new\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if body, err := Section(string(b), "keys"); err != nil || body != "new\n" {
		t.Errorf("%q %v", body, err)
	}
}
