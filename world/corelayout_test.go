package world

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"testing"

	"psyche/bootstrap"
	"psyche/heap"
	"psyche/vat"
	"psyche/vm/object"
)

// sourceWorld answers a world built from bootstrap's sources (not from the
// base image, which may lag them until `make images`).
func sourceWorld(t *testing.T) *World {
	t.Helper()
	w, err := Create(filepath.Join(t.TempDir(), "w"), bootstrap.Build, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// layoutBroken is how the test names a declaration the sources broke.
func layoutBroken(what, source string) string {
	return fmt.Sprintf("%s, which Go reads (world/corelayout.go): %s no longer lay it out so; change the sources back or the declaration and its readers (world/coreread.go) with them", what, source)
}

// TestCoreLayoutMatchesBootstrap: every object and record that
// corelayout.go declares is laid out so in a world built from bootstrap/,
// and Go reads what Self code wrote there as Self code reads it.
func TestCoreLayoutMatchesBootstrap(t *testing.T) {
	w := sourceWorld(t)
	m := w.vm.Model()
	for _, obj := range coreObjects {
		err := heap.Catch(func() error {
			s, ok := w.ownSlot(m.Special(object.SpGlobals), obj.global)
			if !ok || s.Kind != object.SlotConst {
				t.Error(layoutBroken("the constant slot "+obj.global+" of globals", obj.source))
				return nil
			}
			for _, name := range obj.slots {
				if d, ok := w.ownSlot(s.Value, name); !ok || d.Kind != object.SlotData {
					t.Error(layoutBroken("the data slot "+name+" of "+obj.name, obj.source))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	t.Run("list", func(t *testing.T) {
		// Removing from the front and adding at the back wraps the list
		// around its items: element k is at (start + k) modulo their size.
		src := `[| l | l: list copyRemoveAll. 1 to: 6 Do: [|:i| l addLast: i]. l removeFirst. l removeFirst. 7 to: 10 Do: [|:i| l addLast: i]. l] value`
		var got []int64
		err := w.Peek("list", []byte(src), 0, func(l heap.Oop) error {
			elems, err := w.listElems(l, "a list")
			for _, e := range elems {
				got = append(got, e.Int())
			}
			return err
		})
		if want := []int64{3, 4, 5, 6, 7, 8, 9, 10}; err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: Go reads %v, %v; Self has %v: %s", src, got, err, want, layoutBroken("a list's elements", coreList.source))
		}
	})

	t.Run("dictionary", func(t *testing.T) {
		src := `[| d | d: dictionary copyRemoveAll. 1 to: 40 Do: [|:i| d at: i printString Put: i * i]. d removeKey: '7'. d] value`
		err := w.Peek("dictionary", []byte(src), 0, func(d heap.Oop) error {
			n, err := w.dictionarySizeOf(d, "a dictionary")
			if err != nil || n != 39 {
				t.Errorf("size %d, %v: %s", n, err, layoutBroken("a dictionary's size", coreDictionary.source))
			}
			for i := 1; i <= 40; i++ {
				v, ok, err := w.dictionaryAtString(d, fmt.Sprint(i), "a dictionary")
				if err != nil || ok != (i != 7) || ok && v.Int() != int64(i*i) {
					t.Errorf("at %d: %v, %v, %v: %s", i, v, ok, err, layoutBroken("a dictionary's keys and values", coreDictionary.source))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("records", func(t *testing.T) {
		b := sourceWorld(t)
		eval(t, b, `lobby _AddSlots: (| gateway = (| parent* = traits clonable. twice: n = ( n * 2 ) |) |)`)
		eval(t, w, `lobby _AddSlots: (| p <- nil |)`)
		eval(t, w, `p: (vats at: '`+b.Address()+`') twice: 21`)
		if got := eval(t, w, `vats outbox first size`); got != fmt.Sprint(len(outboxEntry.fields)) {
			t.Errorf("an outbox entry has %s fields: %s", got, layoutBroken("an outbox entry's fields", outboxEntry.source))
		}
		out, err := w.Outgoing()
		if err != nil || len(out) != 1 || len(out[0].Batch.Messages) != 1 {
			t.Fatalf("outgoing: %+v, %v", out, err)
		}
		msg, batch := out[0].Batch.Messages[0], out[0].Batch
		if out[0].Dest != b.Address() || msg.Seq != 1 || msg.Target != "gateway" || msg.Selector != "twice:" || batch.From != eval(t, w, `vats id`)[1:33] {
			t.Errorf("Go reads the outbox entry as %+v to %s from %s: %s", msg, out[0].Dest, batch.From, layoutBroken("an outbox entry's fields", outboxEntry.source))
		}
		replies, err := b.Deliver(batch)
		if err != nil || len(replies) != 1 || !replies[0].OK {
			t.Fatalf("deliver: %+v, %v", replies, err)
		}
		var last uint64
		var stored *vat.Reply
		err = b.look(func() error {
			var err error
			last, stored, _, err = b.delivered(batch.From, 1)
			return err
		})
		if err != nil || last != 1 || stored == nil || stored.Seq != 1 || !slices.Equal(stored.Value, replies[0].Value) {
			t.Errorf("Go reads the delivered record as %d, %+v, %v: %s", last, stored, err, layoutBroken("a sender's record in vats delivered and its stored replies", deliveredRecord.source))
		}
		if err := w.Accept(b.Address(), replies); err != nil {
			t.Fatal(err)
		}
		if got := eval(t, w, `p`); got != "a promise (fulfilled: 42)" {
			t.Errorf("p: %s", got)
		}
	})
}
