package main

import (
	"io"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// columnWriter aligns tab-separated cells the way text/tabwriter does
// (consecutive lines that have a cell in a column form a block; the last
// cell of a line is not aligned), but measures cells in terminal cells
// rather than runes, so a pool named in CJK or with emoji keeps the
// columns after it straight. Its input is sanitized text: a control
// character would make any width wrong.
type columnWriter struct {
	out     io.Writer
	padding int
	lines   [][]string
}

// newColumnWriter returns a writer that pads every aligned cell to its
// block's widest cell plus padding spaces.
func newColumnWriter(out io.Writer, padding int) *columnWriter {
	return &columnWriter{out: out, padding: padding}
}

// Write buffers text; lines end with '\n' and cells with '\t'.
func (c *columnWriter) Write(p []byte) (int, error) {
	text := string(p)
	for text != "" {
		line, rest, ok := strings.Cut(text, "\n")
		if len(c.lines) == 0 || c.lastEnded() {
			c.lines = append(c.lines, nil)
		}
		cur := &c.lines[len(c.lines)-1]
		cells := strings.Split(line, "\t")
		if n := len(*cur); n > 0 {
			(*cur)[n-1] += cells[0]
			cells = cells[1:]
		}
		*cur = append(*cur, cells...)
		if ok {
			*cur = append(*cur, "\n") // end marker, dropped when printing
		}
		text = rest
	}
	return len(p), nil
}

func (c *columnWriter) lastEnded() bool {
	l := c.lines[len(c.lines)-1]
	return len(l) > 0 && l[len(l)-1] == "\n"
}

// Flush writes the aligned lines.
func (c *columnWriter) Flush() error {
	var b strings.Builder
	c.format(&b, nil, 0, len(c.lines))
	c.lines = nil
	_, err := io.WriteString(c.out, b.String())
	return err
}

// cells is a line's cells without the end marker, and whether it ended.
func cells(l []string) ([]string, bool) {
	if n := len(l); n > 0 && l[n-1] == "\n" {
		return l[:n-1], true
	}
	return l, false
}

// format writes lines [lo, hi) given the widths of the columns to their
// left, splitting them into blocks for the next column (tabwriter's
// algorithm).
func (c *columnWriter) format(b *strings.Builder, widths []int, lo, hi int) {
	col := len(widths)
	for i := lo; i < hi; i++ {
		cs, _ := cells(c.lines[i])
		if col >= len(cs)-1 {
			continue
		}
		c.write(b, widths, lo, i)
		lo = i
		w := 0
		for ; i < hi; i++ {
			cs, _ := cells(c.lines[i])
			if col >= len(cs)-1 {
				break
			}
			w = max(w, ansi.StringWidth(cs[col])+c.padding)
		}
		c.format(b, append(widths, w), lo, i)
		lo = i
		i--
	}
	c.write(b, widths, lo, hi)
}

// write prints lines [lo, hi), padding the cells that have a width.
func (c *columnWriter) write(b *strings.Builder, widths []int, lo, hi int) {
	for _, l := range c.lines[lo:hi] {
		cs, ended := cells(l)
		for j, s := range cs {
			b.WriteString(s)
			if j < len(widths) && j < len(cs)-1 {
				b.WriteString(strings.Repeat(" ", max(0, widths[j]-ansi.StringWidth(s))))
			}
		}
		if ended {
			b.WriteByte('\n')
		}
	}
}
