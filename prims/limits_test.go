package prims_test

import (
	"bytes"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"psyche/heap"
	"psyche/prims"
	"psyche/vm"
	"psyche/vm/object"
)

// limitsEnv is a primitive environment on a fresh skeleton world; the
// interrupt flag is *interrupted.
func limitsEnv(t *testing.T, interrupted *atomic.Bool) *prims.Env {
	t.Helper()
	h, err := heap.Create(filepath.Join(t.TempDir(), "heap"), heap.Options{Reserve: 8 << 30, YoungReserve: 4 << 30})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	v := vm.New(h, nil)
	v.BuildSkeleton()
	return &prims.Env{M: v.Model(), Interrupted: interrupted.Load}
}

// call runs primitive name on rcv and args.
func call(t *testing.T, e *prims.Env, name string, rcv heap.Oop, args ...heap.Oop) (heap.Oop, error) {
	t.Helper()
	p, _, ok := prims.Lookup(name)
	if !ok {
		t.Fatalf("no primitive %s", name)
	}
	var r heap.Oop
	err := heap.Catch(func() error {
		var err error
		r, err = p.Fn(e, rcv, args)
		return err
	})
	return r, err
}

func wantFailure(t *testing.T, what string, err error, name string) {
	t.Helper()
	var f *prims.Failure
	if !errors.As(err, &f) || f.Name != name {
		t.Errorf("%s: got %v, want the failure %s", what, err, name)
	}
}

func wantAbort(t *testing.T, what string, err error, msg string) {
	t.Helper()
	var a *prims.Abort
	if !errors.As(err, &a) || !strings.Contains(a.Msg, msg) {
		t.Errorf("%s: got %v, want an error containing %q", what, err, msg)
	}
}

// Requests for objects larger than the heap makes fail cleanly, before
// any memory is touched.
func TestAllocationLimits(t *testing.T) {
	var no atomic.Bool
	e := limitsEnv(t, &no)
	m := e.M
	bv := m.NewByteVector(nil)
	vec := m.NewVector(0, m.Nil)
	for _, c := range []struct {
		name string
		rcv  heap.Oop
		args []heap.Oop
	}{
		{"_ByteVectorCopySize:", bv, []heap.Oop{heap.FromInt(12000000000)}}, // past the heap's 8 GiB reserve
		{"_VectorCopySize:", vec, []heap.Oop{heap.FromInt(heap.MaxObjectFields)}},
		{"_VectorCopySize:FillingWith:", vec, []heap.Oop{heap.FromInt(1 << 40), m.Nil}},
	} {
		_, err := call(t, e, c.name, c.rcv, c.args...)
		wantFailure(t, c.name, err, "outOfMemoryError")
	}
	_, err := call(t, e, "_ByteVectorCopySize:", bv, heap.FromInt(-1))
	wantFailure(t, "a negative size", err, "badSizeError")
	r, err := call(t, e, "_VectorCopySize:", vec, heap.FromInt(1000))
	if err != nil || m.VectorSize(r) != 1000 {
		t.Errorf("a vector of 1000 elements: %v", err)
	}
}

// Integers stop at object.MaxIntegerBits bits, checked before the work.
func TestIntegerLimits(t *testing.T) {
	var no atomic.Bool
	e := limitsEnv(t, &no)
	m := e.M
	half := m.Int(new(big.Int).Lsh(big.NewInt(1), object.MaxIntegerBits/2-1))
	top := m.Int(new(big.Int).Lsh(big.NewInt(1), object.MaxIntegerBits-1))
	if _, err := call(t, e, "_IntMul:", half, half); err != nil {
		t.Errorf("2^(n/2-1) squared: %v", err)
	}
	const tooLarge = "integer too large: the result would have more than 1048576 bits"
	_, err := call(t, e, "_IntMul:", top, heap.FromInt(2))
	wantAbort(t, "2^(n-1) * 2", err, tooLarge)
	_, err = call(t, e, "_IntAdd:", top, top)
	wantAbort(t, "2^(n-1) + 2^(n-1)", err, tooLarge)
	_, err = call(t, e, "_StringAsInteger", m.NewString([]byte("1"+strings.Repeat("0", 400000))))
	wantAbort(t, "asInteger of 400001 digits", err, tooLarge)
	if _, err := call(t, e, "_IntPrintString", top); err != nil {
		t.Errorf("printString of 2^(n-1): %v", err)
	}
	// An integer over the limit can only come from a foreign image.
	huge := m.Int(new(big.Int).Lsh(big.NewInt(1), object.MaxIntegerBits+8))
	_, err = call(t, e, "_IntPrintString", huge)
	wantFailure(t, "printString of a foreign huge integer", err, "overflowError")
	if d := m.Describe(huge); d != "(an integer of 1048585 bits)" {
		t.Errorf("Describe of a foreign huge integer: %s", d)
	}
}

// Primitives whose work grows with their data stop when the evaluation is
// interrupted, and work when it is not.
func TestPrimitivesSeeInterrupts(t *testing.T) {
	var interrupted atomic.Bool
	e := limitsEnv(t, &interrupted)
	m := e.M
	s := m.NewString([]byte(strings.Repeat("abc", 1000)))
	vec := m.NewVector(10, heap.FromInt(1))
	cases := []struct {
		name string
		rcv  heap.Oop
		args []heap.Oop
	}{
		{"_VectorCopySize:", vec, []heap.Oop{heap.FromInt(20)}},
		{"_StringHash", s, nil},
		{"_StringAsUppercase", s, nil},
		{"_StringAsLowercase", s, nil},
	}
	for _, c := range cases {
		interrupted.Store(false)
		if _, err := call(t, e, c.name, c.rcv, c.args...); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		interrupted.Store(true)
		if _, err := call(t, e, c.name, c.rcv, c.args...); err != prims.ErrInterrupted {
			t.Errorf("%s, interrupted: got %v, want %v", c.name, err, prims.ErrInterrupted)
		}
	}
	interrupted.Store(false)
	h, _ := call(t, e, "_StringHash", s)
	if want := object.StringHash(m.H.Bytes(s)); h.Int() != int64(want) {
		t.Errorf("_StringHash = %d, want %d", h.Int(), want)
	}
}

// A regular file is read whole unless it is larger than the heap's object
// limit; a pipe is read to its end, into the heap file once it passes a
// large object's size, whatever size it claims; an endless device stops at
// the memory limit; a read waiting on a pipe sees an interrupt.
func TestFileContentsLimits(t *testing.T) {
	var interrupted atomic.Bool
	e := limitsEnv(t, &interrupted)
	m := e.M
	dir := t.TempDir()
	path := func(name string) heap.Oop { return m.NewString([]byte(filepath.Join(dir, name))) }

	if err := os.WriteFile(filepath.Join(dir, "small"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := call(t, e, "_FileContents:", m.Nil, path("small"))
	if err != nil || string(m.H.Bytes(r)) != "hello" {
		t.Errorf("a small file: %v", err)
	}

	// A sparse file one byte too large is refused without being read.
	f, err := os.Create(filepath.Join(dir, "large"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(12000000000); err != nil { // past the heap's 8 GiB reserve
		t.Fatal(err)
	}
	f.Close()
	_, err = call(t, e, "_FileContents:", m.Nil, path("large"))
	wantFailure(t, "a file larger than the heap's object limit", err, "outOfMemoryError")

	// A pipe: what its writer sends, to the end, even if it comes slowly.
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		w.Write([]byte("slow "))
		time.Sleep(200 * time.Millisecond)
		w.Write([]byte("data"))
		w.Close()
	}()
	r, err = call(t, e, "_FileContents:", m.Nil, path("fifo"))
	if err != nil || string(m.H.Bytes(r)) != "slow data" {
		t.Errorf("a pipe: %v", err)
	}

	// A pipe of several MiB: streamed into the heap file, every byte kept.
	big := make([]byte, 3<<20+12345)
	for i := range big {
		big[i] = byte(i * 7)
	}
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		w.Write(big)
		w.Close()
	}()
	r, err = call(t, e, "_FileContents:", m.Nil, path("fifo"))
	if err != nil || !bytes.Equal(m.H.Bytes(r), big) {
		t.Errorf("a pipe of %d bytes: %v", len(big), err)
	}

	// An endless device: the memory limit stops the evaluation, with its reason.
	m.H.SetMemoryLimit(32 << 20)
	_, err = call(t, e, "_FileContents:", m.Nil, m.NewString([]byte("/dev/zero")))
	var stop *prims.Abort
	if !errors.As(err, &stop) || !strings.HasPrefix(stop.Msg, "outOfMemoryError: ") || !strings.Contains(stop.Msg, "memory limit of 32.0 MiB") {
		t.Errorf("/dev/zero under a 32 MiB limit: %v, want outOfMemoryError: ...memory limit...", err)
	}
	m.H.SetMemoryLimit(0)

	// A pipe whose writer never writes nor closes: the read waits until
	// the evaluation is interrupted.
	w, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	go func() {
		time.Sleep(200 * time.Millisecond)
		interrupted.Store(true)
	}()
	_, err = call(t, e, "_FileContents:", m.Nil, path("fifo"))
	if err != prims.ErrInterrupted {
		t.Errorf("an endless pipe, interrupted: got %v, want %v", err, prims.ErrInterrupted)
	}
}
