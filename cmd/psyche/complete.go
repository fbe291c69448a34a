package main

import (
	"errors"
	"sort"
	"strings"

	"psyche/heap"
	"psyche/vm/object"
)

// Tab completion in the REPL. A word right after a name (or self) that
// begins an expression completes to the slot names of the object the name
// holds, its parents' included: `acct bal<Tab>` offers balance and
// balance:. A word at the start of the line that begins with ':' completes
// to the colon commands. Any other word completes to the selectors and slot
// names the world has interned.

func (r *repl) complete(line string, pos int) (string, []string, string) {
	start := wordStart(line, pos)
	prefix := line[start:pos]
	var candidates []string
	switch name, isReceiver := completionReceiver(line, start); {
	case strings.TrimSpace(line[:start]) == "" && strings.HasPrefix(prefix, ":"):
		for _, c := range metaCommands {
			candidates = append(candidates, c.name)
		}
	case isReceiver:
		candidates = r.slotNamesOf(name)
		if candidates == nil && prefix != "" {
			candidates = r.selectors()
		}
	case prefix != "":
		candidates = r.selectors()
	}
	return line[:start], withPrefix(candidates, prefix), line[pos:]
}

// wordStart answers where the word that ends at pos begins.
func wordStart(line string, pos int) int {
	start := pos
	for start > 0 && isWordByte(line[start-1]) {
		start--
	}
	return start
}

// completionReceiver answers the name that receives the word starting at
// start: the identifier before it, when that identifier begins an
// expression. In `x foo ba` the receiver of ba is `x foo`, not foo.
func completionReceiver(line string, start int) (string, bool) {
	end := start
	for end > 0 && (line[end-1] == ' ' || line[end-1] == '\t') {
		end--
	}
	if end == start {
		return "", false // no blank: the word is not a message to what precedes it
	}
	begin := end
	for begin > 0 && isIdentByte(line[begin-1]) {
		begin--
	}
	name := line[begin:end]
	if name == "" || !(name[0] == '_' || name[0] >= 'a' && name[0] <= 'z') {
		return "", false
	}
	before := begin
	for before > 0 && (line[before-1] == ' ' || line[before-1] == '\t') {
		before--
	}
	if before > 0 {
		switch c := line[before-1]; {
		case isIdentByte(c), c == ')', c == ']', c == '\'', c == '"':
			return "", false // the name is itself a message to what precedes it
		}
	}
	return name, true
}

func isIdentByte(c byte) bool { return isWordByte(c) && c != ':' }

// slotNamesOf answers the slot names of the object name holds and of its
// parents, or nil if name is no data or constant slot the lobby reaches.
// Completion runs no Self code: a name that is a method is not run to see
// what it answers (pressing Tab must never do what the method does: write a
// file, change a slot). The parents' walk does not enter the lobby, which
// every object reaches, unless the object is the lobby.
func (r *repl) slotNamesOf(name string) []string {
	v := r.w.VM()
	m := v.Model()
	var names []string
	err := heap.Catch(func() error {
		o := m.Lobby
		if name != "self" {
			var ok bool
			if o, ok = v.SlotContents(m.Lobby, name); !ok {
				return errNoCompletion
			}
		}
		seen := map[heap.Oop]bool{}
		queue := []heap.Oop{o}
		for len(queue) > 0 {
			x := queue[0]
			queue = queue[1:]
			if seen[x] || (x == m.Lobby && x != o) {
				continue
			}
			seen[x] = true
			for _, s := range m.MapSlots(m.MapOf(x)) {
				if s.Kind == object.SlotArg {
					continue
				}
				names = append(names, m.StringOf(s.Name))
				switch {
				case s.Parent && s.Kind == object.SlotConst:
					queue = append(queue, s.Value)
				case s.Parent && s.Kind == object.SlotData:
					queue = append(queue, m.DataAt(x, s.Index))
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil
	}
	return names
}

// errNoCompletion: the name before the word holds no object to complete on.
var errNoCompletion = errors.New("no object to complete on")

// selectors answers every selector and slot name the world has interned.
func (r *repl) selectors() []string {
	var out []string
	r.w.VM().Model().ForEachInterned(func(b []byte) {
		if s := string(b); isSelector(s) {
			out = append(out, s)
		}
	})
	return out
}

// withPrefix answers the candidates that extend prefix, sorted, once each.
func withPrefix(candidates []string, prefix string) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range candidates {
		if strings.HasPrefix(c, prefix) && c != prefix && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isSelector reports whether s looks like a unary or keyword selector.
func isSelector(s string) bool {
	if s == "" || !(s[0] == '_' || s[0] >= 'a' && s[0] <= 'z') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) {
			return false
		}
	}
	return true
}
