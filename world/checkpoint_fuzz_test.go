package world

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The fuzzed world: checkpoint one (c = 1), checkpoint two (c = 2), c = 3
// now; 1.delta is closed, 2.delta the newest.
var fuzzFiles = []string{"checkpoints/1.delta", "checkpoints/2.delta", "checkpoints/index"}

// fuzzKnown is what each checkpoint says c was.
var fuzzKnown = map[string]string{"one": "1", "two": "2"}

// FuzzCheckpointFiles damages one of a world's checkpoint files (a delta or
// the index): it xors bytes (edits: offset high, offset low, mask), cuts
// bytes off the end and appends a tail. Then it checks, looks at each
// checkpoint, rolls back and reopens. Never a panic; never a wrong value (a
// checkpoint's c comes back right or an error is reported); check changes no
// file and is clean only if every checkpoint works; the world evaluates and
// opens again after every failure. (The damage is described relative to the
// template world, whose nonces differ from one process to the next.)
func FuzzCheckpointFiles(f *testing.F) {
	template := filepath.Join(f.TempDir(), "w")
	fuzzMakeTemplate(f, template)
	for i, name := range fuzzFiles {
		fi, err := os.Stat(filepath.Join(template, name))
		if err != nil {
			f.Fatal(err)
		}
		n := int(fi.Size())
		f.Add(uint8(i), []byte(nil), uint16(0), []byte(nil))
		for _, off := range []int{4, 12, 16, n / 2, n - 1} {
			f.Add(uint8(i), []byte{byte(off >> 8), byte(off), 0x04}, uint16(0), []byte(nil))
		}
		f.Add(uint8(i), []byte(nil), uint16(n/3), []byte(nil))
		f.Add(uint8(i), []byte(nil), uint16(1), []byte(nil))
		f.Add(uint8(i), []byte(nil), uint16(0), []byte{0x50, 0x4c, 0x44, 0x32, 9})
	}
	f.Fuzz(func(t *testing.T, which uint8, edits []byte, cut uint16, tail []byte) {
		dir := filepath.Join(t.TempDir(), "w")
		fuzzCopyDir(t, template, dir)
		name := filepath.Join(dir, fuzzFiles[int(which)%len(fuzzFiles)])
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+2 < len(edits); i += 3 {
			if off := int(edits[i])<<8 | int(edits[i+1]); off < len(data) {
				data[off] ^= edits[i+2]
			}
		}
		data = append(data[:len(data)-min(int(cut), len(data))], tail...)
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
		w, err := Open(dir, io.Discard)
		if err != nil {
			t.Fatalf("the world does not open: %v", err)
		}
		defer func() { w.Close() }()
		problems := w.Check(nil)
		for cp, want := range fuzzKnown {
			got, err := w.EvalAt(cp, "fuzz", []byte("c"))
			switch {
			case err == nil && got != want:
				t.Fatalf("eval --at %s: c = %s, want %s (check: %q)", cp, got, want, problems)
			case err != nil && len(problems) == 0 && slices.Contains(w.Checkpoints(), cp):
				t.Fatalf("check is clean, but eval --at %s failed: %v", cp, err)
			}
		}
		if b, err := os.ReadFile(name); err != nil || !bytes.Equal(b, data) {
			t.Fatalf("check or eval --at changed %s (%v)", name, err)
		}
		if got := eval(t, w, "3+4"); got != "7" {
			t.Fatalf("3+4 = %s", got)
		}
		want := "3"
		if _, err := w.Rollback("one", nil); err == nil {
			want = "1"
		} else if len(problems) == 0 && slices.Contains(w.Checkpoints(), "one") {
			t.Fatalf("check is clean, but rollback failed: %v", err)
		}
		if got := eval(t, w, "c"); got != want {
			t.Fatalf("after the rollback (want c = %s): c = %s", want, got)
		}
		w.Close()
		if w, err = Open(dir, io.Discard); err != nil {
			t.Fatalf("the world does not open again: %v", err)
		}
		if got := eval(t, w, "c"); got != want {
			t.Fatalf("reopened: c = %s, want %s", got, want)
		}
		if want == "1" {
			if p := w.Check(nil); len(p) > 0 {
				t.Fatalf("check after a successful rollback: %s", strings.Join(p, "; "))
			}
		}
	})
}

func fuzzMakeTemplate(f *testing.F, dir string) {
	w, err := Create(dir, FromImage(bytes.NewReader(baseImage), int64(len(baseImage))), io.Discard)
	if err != nil {
		f.Fatal(err)
	}
	defer w.Close()
	for _, step := range []string{"lobby _AddSlots: (| c <- 1 |)", "one", "c: 2", "two", "c: 3"} {
		if _, ok := fuzzKnown[step]; ok {
			err = w.Checkpoint(step)
		} else {
			_, err = w.Eval("fuzz", []byte(step))
		}
		if err != nil {
			f.Fatal(err)
		}
	}
}

// fuzzCopyDir copies the world in src (its files and its checkpoints
// directory) to dst.
func fuzzCopyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
