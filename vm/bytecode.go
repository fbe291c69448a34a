package vm

// The instruction set. A method's code is a byte object; operands follow
// their opcode, little-endian. Literal operands index the method's literal
// vector. The stack holds oops; each frame's part of it starts empty.
const (
	opPushSelf       = iota + 1 // push self
	opPushLit                   // u16 lit: push literal
	opPushLocal                 // u8 depth, u16 index: push a local of the activation depth levels out
	opStoreLocal                // u8 depth, u16 index: pop into a local
	opSend                      // u16 selector lit, u8 argc: receiver and arguments are on the stack
	opResend                    // u16 selector lit, u8 argc, u16 parent-name lit (0xffff: undirected)
	opPrim                      // u16 selector lit, u8 argc (IfFail: block included), u8 1 if IfFail:
	opPushBlock                 // u16 block-map lit: push a closure over this activation
	opInner                     // u16 method lit: run an inner method with this self and scope
	opPop                       // drop the top
	opReturn                    // return the top from this activation
	opNonLocalReturn            // return the top from the home method of this block
	opRestart                   // start this activation's code again (_Restart)

	// Inlined control structures and arithmetic (guards.go). Jump targets
	// are absolute u32 pcs, each the start of an instruction; the stack
	// depth at a target is the same on every path to it. A backward jump
	// counts as a step and looks for Ctrl-C, like a send.
	opJump    // u32 target
	opIf      // u8 guard, u8 sense, u32 else, u32 send: a boolean top is popped; sense's goes on, the other jumps to else; anything else, or a failed guard, jumps to send (the top stays)
	opGuard   // u8 guard, u32 send: jumps to send unless the guard holds
	opForInit // u8 guard, u8 form, u16 i, u16 stop, u16 step lit, u32 exit, u32 send: see forForm
	opForNext // u16 i, u16 stop, u16 step lit, u32 top: unless i is the last value, i: i + step and jump to top
	opArith   // u16 selector lit, u8 argc (1), u8 arithOp: a send of + < = ... run in the loop when both are small integers (or floats) and the guard holds
	opIndex   // u16 selector lit, u8 argc, u8 indexOp: a send of at:, at:Put: or size run in the loop on a vector, byteVector or string when the index is in range and the guard holds (index.go)
	opConcat  // u16 literal lit, u32 done: x , y , literal in one copy when x and y are strings and the core , is in place, jumping to done; else falls through to the two sends (concat.go)

	// to:By:Do: whose step is not a literal: the step is computed once,
	// before the loop, and kept in a variable.
	opForStepInit // u8 guard, u16 i, u16 stop, u16 step, u32 exit, u32 send: stack: receiver, last, step; see below
	opForStepNext // u16 i, u16 stop, u16 step, u32 top: unless i is the last value, i: i + step and jump to top

	opPushInt // i32 value: push a small integer (an integer literal that fits; no read of the literals)
)

// opForStepInit runs the loop inline only if the guard holds and receiver,
// last and step are small integers with step neither 0 nor beyond
// maxInlineStep: then it pops last and step (the receiver stays, the loop's
// value) into i: receiver, stop: last, step: step, and the step's sign
// picks the comparison, as in the core world's method. Otherwise it jumps
// to send with the stack untouched, where the real send (with a real block)
// reports a step of 0, or counts with a float or a big integer.

// forForm says where opForInit finds its bounds. Either way the receiver
// stays on the stack as the loop's value, and the loop runs inline only if
// the guard holds and the bounds are small integers; otherwise it jumps to
// send with the stack untouched.
const (
	forTo     = 0 // stack: receiver, last: i: receiver, stop: last (to:Do:, to:By:Do:)
	forRepeat = 1 // stack: receiver: i: 1, stop: receiver (timesRepeat:)
)

const undirected = 0xffff

// Method objects (object.KindMethod, no map). Their byte part is the
// position table (positions.go), empty for a method without source.
const (
	methCode     = 1 // bytecodes (object.KindCode)
	methLits     = 2 // literals (raw vector)
	methSelector = 3 // canonical string, or Nil for top-level code
	methInfo     = 4 // small integer: nargs | nlocals << 16 | flags << 32
	methNames    = 5 // raw vector of canonical strings: arguments, then locals
	methInits    = 6 // raw vector: each local's initial value
	methSource   = 7 // the source text (string) or Nil
	methFastPrim = 8 // the primitive selector, for a method that only calls it (see compiler.fastPrim), or Nil
	methFields   = 9
)

// Method flags.
const (
	methBlock = 1 // the body of a block literal
	methInner = 2 // an inner method (object literal with code in expression position)
)

// Activation objects (object.KindActivation, no map):
const (
	actMethod = 1
	actSelf   = 2
	actLex    = 3 // lexically enclosing activation, for blocks and inner methods
	actHome   = 4 // the method activation a ^ returns from (itself for a method)
	actLive   = 5 // small integer: frame index while running; Nil once returned
	actHolder = 6 // the object the method was found in, for resends
	actVars   = 7 // arguments, then locals
)

// Block objects (object.KindBlock): map, ext, then the activation they close over.
const blockAct = 2
