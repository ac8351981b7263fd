package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	gossh "golang.org/x/crypto/ssh"
)

// Roles of an SSH user.
const (
	roleOperator = "operator"
	roleViewer   = "viewer"
)

// identity is who an SSH session belongs to: the key's comment (or its
// fingerprint when it has none), the key's SHA256 fingerprint, the role
// its keys file grants and the client's address.
type identity struct {
	name, fp, role, addr string
}

// label is "ana · operator", shown in the session's header.
func (id identity) label() string { return id.name + " · " + id.role }

// loadKeys reads an OpenSSH authorized_keys file into identities keyed by
// the key's wire bytes. Options before the key type are accepted and
// ignored; a line that is no key is an error naming the file and line,
// after from: where the file was named ("--operator-keys").
func loadKeys(path, role, from string, into map[string]identity) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 16<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "-----BEGIN") && strings.HasSuffix(line, "PRIVATE KEY-----") {
			return fmt.Errorf("%s: %s is a private key: give an authorized_keys file (public keys: the lines of KEY.pub)", from, path)
		}
		pk, comment, _, _, err := gossh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			return fmt.Errorf("%s: %s line %d: %w", from, path, n, err)
		}
		fp := gossh.FingerprintSHA256(pk)
		name := strings.TrimSpace(comment)
		if name == "" {
			name = fp
		}
		k := string(pk.Marshal())
		if prev, ok := into[k]; ok && prev.role == roleOperator {
			continue // listed as operator too: the wider role wins
		}
		into[k] = identity{name: name, fp: fp, role: role}
	}
	return sc.Err()
}

// keyring reads both keys files; operators win over viewers.
func (so *serveOpts) keyring() (map[string]identity, error) {
	keys := map[string]identity{}
	if so.operatorKeys != "" {
		if err := loadKeys(so.operatorKeys, roleOperator, so.from["operator-keys"], keys); err != nil {
			return nil, err
		}
	}
	if so.viewerKeys != "" {
		if err := loadKeys(so.viewerKeys, roleViewer, so.from["viewer-keys"], keys); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// hostSigner loads the ed25519 host key at path, creating it (mode 0600,
// with a .pub beside it for pinning) when missing. A key others may read
// is refused, as sshd does. from is where path was named ("--host-key").
func hostSigner(path, from string) (gossh.Signer, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		b, err = newHostKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s %s: mode %04o lets others read it: chmod 600 %s", from, path, st.Mode().Perm(), path)
	}
	s, err := gossh.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", from, path, err)
	}
	return s, nil
}

// newHostKey writes a new ed25519 private key in OpenSSH format to path
// and its public half to path.pub, and returns the private key's PEM.
func newHostKey(path string) ([]byte, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	blk, err := gossh.MarshalPrivateKey(priv, "lbtop serve host key")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	out := pem.EncodeToMemory(blk)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(out); err != nil {
		_ = f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	pub := gossh.MarshalAuthorizedKey(signer.PublicKey())
	return out, os.WriteFile(path+".pub", pub, 0o644)
}
