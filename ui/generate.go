package ui

//go:generate go run ./internal/keystable ../README.md

// READMEKeysSection names the README section generated from the key map.
const READMEKeysSection = "keys"
