package vm

import (
	"strings"

	"psyche/heap"
	"psyche/vm/object"
)

// Hints for an undefinedSelector error, for the mistakes a newcomer makes
// most: a misspelt selector (3 factorail: did you mean factorial?) and a
// keyword message whose later parts are not capitalised (add: 'x' in: 'y'
// sends in: to 'x'). They read the receiver's slots only; no Self code runs.

// suggestScanLimit bounds the objects the misspelling hint visits, so that
// an error on an object with a huge parent graph stays cheap.
const suggestScanLimit = 2000

// undefinedHint answers what to add to the error of sel, not understood by
// rcv: " (did you mean ...?)", or "".
func (vm *VM) undefinedHint(rcv heap.Oop, sel string) string {
	if best := vm.closestSelector(rcv, sel); best != "" {
		return " (did you mean " + best + "?)"
	}
	if whole := vm.laterKeywordOf(sel); whole != "" {
		later := strings.ToUpper(sel[:1]) + sel[1:]
		return " (did you mean " + later + ", a later keyword of " + whole + "? a message's later keywords are capitalised)"
	}
	return ""
}

// laterKeywordOf answers a selector the world knows in which sel, a one-part
// keyword, capitalised, is a later keyword (in: of add: 'x' in: 'y' in
// add:In:), or "".
func (vm *VM) laterKeywordOf(sel string) string {
	if strings.Count(sel, ":") != 1 || !strings.HasSuffix(sel, ":") || sel[0] < 'a' || sel[0] > 'z' {
		return ""
	}
	later := ":" + strings.ToUpper(sel[:1]) + sel[1:]
	// The likeliest: not a primitive's, then the shortest, then the first
	// in order (so the hint is the same every time).
	found := ""
	better := func(s string) bool {
		switch {
		case found == "":
			return true
		case (s[0] == '_') != (found[0] == '_'):
			return found[0] == '_'
		case len(s) != len(found):
			return len(s) < len(found)
		}
		return s < found
	}
	vm.m.ForEachInterned(func(b []byte) {
		if s := string(b); strings.Contains(s, later) && strings.HasSuffix(s, ":") && better(s) {
			found = s
		}
	})
	return found
}

// closestSelector answers the slot name of rcv or its parents nearest to
// sel by edit distance, of the same kind (unary, binary, keyword with as
// many parts), if one is near enough to be a likely misspelling: at most
// one edit in a name of up to four characters, two in a longer one.
func (vm *VM) closestSelector(rcv heap.Oop, sel string) string {
	limit := 1
	if len(sel) > 4 {
		limit = 2
	}
	m := vm.m
	best, bestDist := "", limit+1
	seen := map[heap.Oop]bool{}
	queue := []heap.Oop{rcv}
	for len(queue) > 0 && len(seen) < suggestScanLimit {
		x := queue[0]
		queue = queue[1:]
		if seen[x] {
			continue
		}
		seen[x] = true
		for _, s := range m.MapSlots(m.MapOf(x)) {
			switch {
			case s.Kind == object.SlotArg:
				continue
			case s.Parent && s.Kind == object.SlotConst:
				queue = append(queue, s.Value)
			case s.Parent && s.Kind == object.SlotData:
				queue = append(queue, m.DataAt(x, s.Index))
			}
			name := m.StringOf(s.Name)
			if s.Kind == object.SlotData && strings.Count(sel, ":") == 1 && strings.HasSuffix(sel, ":") {
				name += ":" // a data slot x also answers x:
			}
			if !sameKind(name, sel) || name == sel {
				continue
			}
			if d := editDistance(name, sel, bestDist); d < bestDist {
				best, bestDist = name, d
			}
		}
	}
	return best
}

// sameKind reports whether a and b are selectors of one kind: both unary,
// both binary, or keywords of as many parts.
func sameKind(a, b string) bool {
	kind := func(s string) int {
		switch {
		case s == "":
			return -2
		case strings.HasSuffix(s, ":"):
			return strings.Count(s, ":")
		case s[0] == '_' || s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z':
			return 0
		default:
			return -1 // binary
		}
	}
	return kind(a) == kind(b)
}

// editDistance answers the Damerau-Levenshtein distance (insertions,
// deletions, substitutions, transpositions of neighbours) between a and b,
// or any number ≥ bound once it is certain to reach bound.
func editDistance(a, b string, bound int) int {
	if d := len(a) - len(b); d >= bound || -d >= bound {
		return bound
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= bound {
			return bound
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
