package vm

// FailingGuards answers the selectors of the guards (guards.go) that do not
// hold in vm's world: its inlined code would always send.
func (vm *VM) FailingGuards() []string {
	var failing []string
	for id := guardID(0); id < numGuards; id++ {
		if !vm.guard(id) {
			failing = append(failing, guardTable[id].expect[0].sel)
		}
	}
	for op := arithOp(0); op < numArith; op++ {
		if !vm.arithGuard(op, rcvInt) {
			failing = append(failing, "integer "+arithTable[op].sel)
		}
		if arithTable[op].floatPrim != "" && !vm.arithGuard(op, rcvFloat) {
			failing = append(failing, "float "+arithTable[op].sel)
		}
	}
	return failing
}
