// Command keystable writes the README's keybindings table from ui/keys.go
// (run by go generate in ui/: go run ./internal/keystable ../README.md).
package main

import (
	"fmt"
	"os"

	"github.com/lbtop/lbtop/internal/readme"
	"github.com/lbtop/lbtop/ui"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: keystable README.md")
		os.Exit(2)
	}
	for _, sec := range [][2]string{{ui.READMEKeysSection, ui.READMEKeys()}, {ui.READMEReplayKeysSection, ui.READMEReplayKeys()}} {
		if err := readme.Update(os.Args[1], sec[0], sec[1]); err != nil {
			fmt.Fprintln(os.Stderr, "keystable:", err)
			os.Exit(1)
		}
	}
}
