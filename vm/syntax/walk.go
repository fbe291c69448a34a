package syntax

// Inspect traverses the tree rooted at n depth-first: it calls f(n) and,
// if that returns true, inspects each child of n (receiver, arguments,
// slots, slot values, statements) in source order. Slots are visited as
// *Slot nodes; annotations are not nodes.
//
// Inspect recurses once per level of nesting (see MaxNesting) and follows
// chains of sends (1 + 1 + 1 ...), which the source's length alone bounds,
// in a loop.
func Inspect(n Node, f func(Node) bool) {
	if n == nil || !f(n) {
		return
	}
	switch n := n.(type) {
	case *Send:
		inspectChain(n, f)
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

// inspectChain inspects the receivers and arguments of s, which f has
// seen: first down the chain of receivers that are sends, then the
// arguments of each send from the innermost out.
func inspectChain(s *Send, f func(Node) bool) {
	chain := []*Send{s}
	for {
		r, ok := s.Recv.(*Send)
		if !ok {
			if s.Recv != nil {
				Inspect(s.Recv, f)
			}
			break
		}
		if !f(r) {
			break
		}
		chain = append(chain, r)
		s = r
	}
	for i := len(chain) - 1; i >= 0; i-- {
		for _, a := range chain[i].Args {
			Inspect(a, f)
		}
	}
}

func inspectSlots(slots []*Slot, f func(Node) bool) {
	for _, s := range slots {
		Inspect(s, f)
	}
}
