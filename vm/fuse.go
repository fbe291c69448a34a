package vm

// Superinstructions. A method's code as the loop runs it is a copy, made
// when its methodCache is, in which the first instruction of each common
// sequence carries a fused opcode that runs the whole sequence in one
// dispatch. Only that one byte differs: every instruction keeps its place
// and its operands, so positions, frame pcs, jump targets and error
// messages are those of the stored code, a jump into the middle of a
// sequence finds the plain instruction there, and a fused instruction that
// cannot take its fast path runs its first instruction alone and goes on
// with the next. Fused opcodes exist only in these copies: stored code
// never holds them (validation knows no such opcode), and the compiler
// never emits them.
const (
	fusedBase = 48 // well above the stored instruction set (bytecode.go)

	// opSelfSend: opPushSelf then opSend. Its operands are the send's, one
	// byte on.
	opSelfSend = fusedBase + iota
	// opLocalSend: opPushLocal then opSend.
	opLocalSend
	// opLocalLitArith: opPushLocal, opPushLit, opArith (n - 1, i < 10):
	// when the local and the literal are small integers and arithmetic
	// runs in the loop, one dispatch; otherwise the push of the local.
	opLocalLitArith
	// opLocalIntArith: opPushLocal, opPushInt, opArith (n - 1 since
	// integer literals are pushed from the code), likewise.
	opLocalIntArith
	// opLocalArith: opPushLocal then opArith (2 * i, 0.0 - sign): the
	// stack's top and a local.
	opLocalArith
	// opIntArith: opPushInt then opArith ((2 * i) + 1): the stack's top
	// and an integer from the code.
	opIntArith
	// opLitLocalArith: opPushLit, opPushLocal, opArith (0.0 - sign): a
	// literal and a local; otherwise the push of the literal.
	opLitLocalArith
	// opIntLocalArith: opPushInt, opPushLocal, opArith (2 * i), likewise.
	opIntLocalArith
	// opJumpPop: a forward opJump whose target is opPop (the end of an
	// inlined ifTrue: whose value is dropped): the jump and the pop in
	// one dispatch.
	opJumpPop
	// opLitJumpPop: opPushLit then such a jump (the nil an inlined
	// ifTrue: answers when its condition is false, dropped at once):
	// nothing is pushed, and the loop goes on after the pop.
	opLitJumpPop
)

// fusions lists the sequences fuse looks for, longest first at each start.
var fusions = []struct {
	seq   []byte
	fused byte
}{
	{[]byte{opPushLocal, opPushLit, opArith}, opLocalLitArith},
	{[]byte{opPushLocal, opPushInt, opArith}, opLocalIntArith},
	{[]byte{opPushLit, opPushLocal, opArith}, opLitLocalArith},
	{[]byte{opPushInt, opPushLocal, opArith}, opIntLocalArith},
	{[]byte{opPushLocal, opArith}, opLocalArith},
	{[]byte{opPushInt, opArith}, opIntArith},
	{[]byte{opPushSelf, opSend}, opSelfSend},
	{[]byte{opPushLocal, opSend}, opLocalSend},
}

// fuse answers the copy of code the loop runs: code with the first opcode
// of every sequence of fusions replaced by its fused opcode. It stops at the
// first byte that starts no instruction (the loop reports it when it gets
// there).
func fuse(code []byte) []byte {
	out := append([]byte(nil), code...)
	for pc := 0; pc < len(code); {
		size := instrSize(code[pc])
		if size == 0 {
			break
		}
		for _, fu := range fusions {
			if matchesAt(code, pc, fu.seq) {
				out[pc] = fu.fused
				break
			}
		}
		switch {
		case jumpsToPop(code, pc):
			out[pc] = opJumpPop
		case code[pc] == opPushLit && jumpsToPop(code, pc+size):
			out[pc] = opLitJumpPop
		}
		pc += size
	}
	return out
}

// matchesAt reports whether the instructions of code from pc on are seq.
func matchesAt(code []byte, pc int, seq []byte) bool {
	for _, op := range seq {
		if pc >= len(code) || code[pc] != op {
			return false
		}
		pc += instrSize(op)
	}
	return pc <= len(code)
}

// jumpsToPop reports whether the instruction at pc is a forward opJump
// whose target holds opPop. Forward only: a backward jump checks for
// interrupts, which the fused form would skip.
func jumpsToPop(code []byte, pc int) bool {
	if pc+instrSize(opJump) > len(code) || code[pc] != opJump {
		return false
	}
	t := u32(code, pc+1)
	return t > pc && t < len(code) && code[t] == opPop
}
