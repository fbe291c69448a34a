package syntax

// Inspect traverses the tree rooted at n depth-first: it calls f(n) and,
// if that returns true, inspects each child of n (receiver, arguments,
// slots, slot values, statements) in source order. Slots are visited as
// *Slot nodes; annotations are not nodes.
func Inspect(n Node, f func(Node) bool) {
	if n == nil || !f(n) {
		return
	}
	switch n := n.(type) {
	case *Send:
		if n.Recv != nil {
			Inspect(n.Recv, f)
		}
		for _, a := range n.Args {
			Inspect(a, f)
		}
	case *Paren:
		Inspect(n.X, f)
	case *Return:
		Inspect(n.X, f)
	case *Object:
		inspectSlots(n.Slots, f)
	case *Method:
		inspectSlots(n.Slots, f)
		Inspect(n.Body, f)
	case *Block:
		inspectSlots(n.Slots, f)
		Inspect(n.Body, f)
	case *Code:
		for _, s := range n.Stmts {
			Inspect(s, f)
		}
	case *Slot:
		if n.Value != nil {
			Inspect(n.Value, f)
		}
	}
}

func inspectSlots(slots []*Slot, f func(Node) bool) {
	for _, s := range slots {
		Inspect(s, f)
	}
}
