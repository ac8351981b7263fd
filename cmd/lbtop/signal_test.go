//go:build linux

package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// The dashboard runs as a real process on a real pseudo-terminal, gets a
// signal, and must leave the terminal as it found it: out of the alternate
// screen, cursor shown, cooked mode; exit code 128+n. The PTY is opened
// with the kernel's own ioctls (no PTY library).

// ptyBuffer collects what the program writes to its terminal and says
// on wrote when more arrived.
type ptyBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
}

func (b *ptyBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.wrote <- struct{}{}:
	default:
	}
	return b.buf.Write(p)
}

func (b *ptyBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func ioctl(t *testing.T, fd uintptr, req uint, arg unsafe.Pointer) {
	t.Helper()
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, uintptr(req), uintptr(arg)); errno != 0 {
		t.Fatalf("ioctl %#x: %v", req, errno)
	}
}

// openPTY returns a pseudo-terminal's master and its 80×24 slave.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	var unlock int32
	ioctl(t, m.Fd(), syscall.TIOCSPTLCK, unsafe.Pointer(&unlock))
	var n uint32
	ioctl(t, m.Fd(), syscall.TIOCGPTN, unsafe.Pointer(&n))
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open slave: %v", err)
	}
	ws := struct{ row, col, x, y uint16 }{24, 80, 0, 0}
	ioctl(t, s.Fd(), syscall.TIOCSWINSZ, unsafe.Pointer(&ws))
	return m, s
}

// buildLbtop compiles this command into a temporary directory.
func buildLbtop(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lbtop")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// waitFor checks cond each time the program writes until it holds;
// limit only guards against a hang.
func waitFor(t *testing.T, b *ptyBuffer, what string, limit time.Duration, cond func(string) bool) {
	t.Helper()
	give := time.After(limit)
	for !cond(b.String()) {
		select {
		case <-b.wrote:
		case <-give:
			t.Fatalf("gave up waiting for %s; got %q", what, b.String())
		}
	}
}

// escSeq matches one escape sequence (CSI, OSC/DCS/APC strings, or a
// two-byte escape).
var escSeq = regexp.MustCompile(`\x1b(\[[0-?]*[ -/]*[@-~]|[\]P_^][^\x07\x1b]*(\x07|\x1b\\)|[ -~])`)

func TestDashboardRestoresTerminalOnSignal(t *testing.T) {
	bin := buildLbtop(t)
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{
		{syscall.SIGHUP, 129},
		{syscall.SIGINT, 130},
		{syscall.SIGQUIT, 131},
		{syscall.SIGTERM, 143},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			t.Parallel()
			master, slave := openPTY(t)
			var before syscall.Termios
			ioctl(t, slave.Fd(), syscall.TCGETS, unsafe.Pointer(&before))
			cmd := exec.Command(bin, "--demo", "--demo-seed", "7", "--interval", "500ms")
			cmd.Env = append(os.Environ(), "TERM=xterm-256color", "XDG_STATE_HOME="+t.TempDir(), "NO_COLOR=")
			cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			_ = slave.Close()
			out := ptyBuffer{wrote: make(chan struct{}, 1)}
			copied := make(chan struct{})
			go func() {
				defer close(copied)
				_, _ = io.Copy(&out, master) // ends with EIO when the child is gone
			}()
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			// Running: in the alternate screen with a frame of the demo drawn.
			waitFor(t, &out, "the dashboard to draw", 60*time.Second, func(s string) bool {
				return strings.Contains(s, "\x1b[?1049h") && strings.Contains(s, "POOL")
			})
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("still running 30 s after %v", tc.sig)
			}
			if got := cmd.ProcessState.ExitCode(); got != tc.code {
				t.Errorf("exit code %d after %v, want %d (%v)", got, tc.sig, tc.code, cmd.ProcessState)
			}
			<-copied
			s := out.String()
			enter := strings.LastIndex(s, "\x1b[?1049h")
			leave := strings.LastIndex(s, "\x1b[?1049l")
			show := strings.LastIndex(s, "\x1b[?25h")
			if leave < enter || show < enter {
				t.Fatalf("after %v the output does not leave the alternate screen (last enter %d, leave %d) and show the cursor (%d); tail %q",
					tc.sig, enter, leave, show, s[max(0, len(s)-300):])
			}
			// After leaving, only escape sequences (the other modes'
			// resets) and, for SIGQUIT, the goroutine dump.
			tail := escSeq.ReplaceAllString(s[leave:], "")
			if tc.sig == syscall.SIGQUIT {
				if !strings.Contains(tail, "goroutine dump") {
					t.Errorf("SIGQUIT: no goroutine dump after the terminal was restored; tail %q", tail[:min(len(tail), 300)])
				}
			} else if strings.TrimSpace(tail) != "" {
				t.Errorf("text after leaving the alternate screen: %q", tail[:min(len(tail), 300)])
			}
			var after syscall.Termios
			ioctl(t, master.Fd(), syscall.TCGETS, unsafe.Pointer(&after))
			if after.Lflag != before.Lflag || after.Iflag != before.Iflag || after.Oflag != before.Oflag {
				t.Errorf("terminal modes not restored after %v: lflag %#x→%#x iflag %#x→%#x oflag %#x→%#x",
					tc.sig, before.Lflag, after.Lflag, before.Iflag, after.Iflag, before.Oflag, after.Oflag)
			}
		})
	}
}
