package vm

import (
	"psyche/heap"
	"psyche/prims"
)

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
		if arithTable[op].intPrim != "" && !vm.arithGuard(op, rcvInt) {
			failing = append(failing, "integer "+arithTable[op].sel)
		}
		if arithTable[op].floatPrim != "" && !vm.arithGuard(op, rcvFloat) {
			failing = append(failing, "float "+arithTable[op].sel)
		}
	}
	for op := indexOp(0); op < numIndex; op++ {
		for k := indexKind(0); k < numIndexKinds; k++ {
			if indexTable[op].prims[k] != "" && !vm.indexGuard(op, k, vm.indexReceiver(k)) {
				failing = append(failing, indexKindNames[k]+" "+indexTable[op].sel)
			}
		}
	}
	if !vm.concatGuard(&vm.concatGuards.rcv, vm.m.NewString(nil)) {
		failing = append(failing, "string "+concatSel)
	}
	return failing
}

var indexKindNames = [numIndexKinds]string{idxVector: "vector", idxByteVector: "byteVector", idxString: "string"}

// indexReceiver makes an empty object of kind k with the core world's map.
func (vm *VM) indexReceiver(k indexKind) heap.Oop {
	switch k {
	case idxVector:
		return vm.m.NewVector(0, heap.Nil)
	case idxByteVector:
		return vm.m.NewByteVector(nil)
	}
	return vm.m.NewString(nil)
}

// Tables answers the VM's hooks for the hash-table primitives.
func (vm *VM) Tables() prims.Tables { return (*hashTables)(vm) }
