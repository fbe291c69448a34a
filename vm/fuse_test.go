package vm

import (
	"bytes"
	"testing"
)

// fuse changes only the first opcode of each sequence it knows, so every
// instruction keeps its place and operands.
func TestFuseKeepsPlaces(t *testing.T) {
	b := &methodBuilder{}
	at := map[int]byte{} // where fused opcodes go
	at[len(b.code)] = opLocalLitArith
	b.op(opPushLocal) // n - 1
	b.u8(0)
	b.u16(0)
	b.op(opPushLit)
	b.u16(0)
	b.op(opArith)
	b.u16(1)
	b.u8(1)
	b.u8(int(arithSub))
	at[len(b.code)] = opLocalIntArith
	b.op(opPushLocal) // n < 2, the integer pushed from the code
	b.u8(0)
	b.u16(0)
	at[len(b.code)] = opIntArith // fused too: reached when the sequence's first falls back
	b.op(opPushInt)
	b.code = append(b.code, 2, 0, 0, 0)
	b.op(opArith)
	b.u16(1)
	b.u8(1)
	b.u8(int(arithLT))
	at[len(b.code)] = opSelfSend
	b.op(opPushSelf) // self k
	b.op(opSend)
	b.u16(2)
	b.u8(0)
	b.op(opPushLocal) // an outer local, then not a send: stays as it is
	b.u8(1)
	b.u16(3)
	at[len(b.code)] = opLocalSend
	b.op(opPushLocal) // v id: v
	b.u8(1)
	b.u16(3)
	b.op(opSend)
	b.u16(4)
	b.u8(1)
	b.op(opPushSelf) // the last instruction but one: no send follows
	b.op(opReturn)

	run := fuse(b.code)
	if len(run) != len(b.code) {
		t.Fatalf("fused code has %d bytes, want %d", len(run), len(b.code))
	}
	for pc := range run {
		want := b.code[pc]
		if f, ok := at[pc]; ok {
			want = f
		}
		if run[pc] != want {
			t.Errorf("byte %d is %d, want %d (stored %v, fused %v)", pc, run[pc], want, b.code, run)
		}
	}
	// The stored code is untouched, and code that ends early stops fusing.
	if bytes.Contains(b.code, []byte{opSelfSend}) {
		t.Errorf("fuse changed the stored code: %v", b.code)
	}
	if got := fuse([]byte{opPushSelf, opSend, 0}); !bytes.Equal(got, []byte{opPushSelf, opSend, 0}) {
		t.Errorf("a send cut short was fused: %v", got)
	}
}

// The fused sends give what the plain instructions give, with the local at
// depth 0 on the stack or in a heap activation, and at depth 1.
func TestFusedSends(t *testing.T) {
	vm, _ := newTestVM(t)
	icEval(t, vm, `lobby _AddSlots: (| k = 3. id: x = ( x ).
		three = ( k ).
		same: n = ( | v | v: n. v id: v ).
		inBlock: n = ( [n id: n] value ).
		kept: n = ( | v | v: n. [v] . v id: v ) |)`)
	for _, c := range []struct{ src, want string }{
		{"three", "3"}, {"same: 4", "4"}, {"inBlock: 5", "5"}, {"kept: 6", "6"},
	} {
		for range 3 { // the first run makes no site, the second makes one, the third uses it
			if got := icEval(t, vm, c.src); got != c.want {
				t.Fatalf("%s = %s, want %s", c.src, got, c.want)
			}
		}
	}
}

// A forward jump to a pop, alone or after a literal's push, is fused; a
// backward one, or one to anything but a pop, is not.
func TestFuseJumpToPop(t *testing.T) {
	b := &methodBuilder{}
	b.op(opPushLit) // 0: the literal dropped after the jump
	b.u16(0)
	b.op(opJump) // 3: to the pop
	b.code = append(b.code, 13, 0, 0, 0)
	b.op(opJump) // 8: to the return, not a pop
	b.code = append(b.code, 14, 0, 0, 0)
	b.op(opPop)    // 13
	b.op(opReturn) // 14
	run := fuse(b.code)
	want := append([]byte(nil), b.code...)
	want[0], want[3] = opLitJumpPop, opJumpPop
	if !bytes.Equal(run, want) {
		t.Errorf("fused %v, want %v", run, want)
	}
	back := []byte{opPop, opJump, 0, 0, 0, 0}
	if got := fuse(back); !bytes.Equal(got, back) {
		t.Errorf("a backward jump to a pop was fused: %v", got)
	}
}
