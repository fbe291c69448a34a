package world

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"psyche/heap"
	"psyche/vat"
	"psyche/vat/values"
	"psyche/vm"
	"psyche/vm/object"
)

// The world's side of vats (docs/vats.md): World is a vat.Host. The
// durable parts live in the heap, in the object vats (bootstrap/96-vats.self),
// and every change to them happens in a transaction:
//
//   - a message is delivered in one transaction (a crank): its effects, its
//     reply and the record that it was delivered commit together, so a
//     repeated delivery answers the stored reply and runs nothing;
//   - a failed crank leaves no effect; a second transaction records the
//     rejection, so it too is answered the same way every time;
//   - a reply settles its promise and drops its outbox entry in one
//     transaction; the callbacks that become due run after it, each in its
//     own transaction, so a failing callback cannot undo the settlement.
//
// Go holds no oop across a send to Self code (a scavenge may move it):
// what it needs of one result it reads before the next send.

var _ vat.Host = (*World)(nil)

// Address answers the world's vat address: its absolute directory.
func (w *World) Address() string { return w.addr }

// sendVats sends sel with args to the vats object.
func (w *World) sendVats(sel string, args ...heap.Oop) (heap.Oop, error) {
	v, err := w.vm.Send(w.vm.Model().Lobby, "vats")
	if err != nil {
		return heap.Nil, err
	}
	return w.vm.Send(v, sel, args...)
}

// look runs f in a transaction that is aborted after it: f only reads.
func (w *World) look(f func() error) error {
	defer w.h.Abort()
	w.vm.StartTopLevel()
	return heap.Catch(f)
}

// crank runs f as one transaction: committed if f succeeds, gone if not.
func (w *World) crank(f func() error) error {
	w.vm.StartTopLevel()
	_, err := w.transaction(func() (heap.Oop, error) { return heap.Nil, heap.Catch(f) })
	w.h.Abort() // a crank that changed nothing left its transaction open (see transaction)
	return err
}

// selfError reports whether err is an error of the Self code a crank ran
// (it rejects the message), not a failure of the heap (which stops).
func selfError(err error) bool {
	var e *vm.Error
	var ce *vm.CompileError
	return errors.As(err, &e) && e.Cause == nil || errors.As(err, &ce)
}

func (w *World) str(s string) heap.Oop { return w.vm.Model().NewString([]byte(s)) }

func (w *World) stringOf(o heap.Oop, what string) (string, error) {
	m := w.vm.Model()
	if o == m.Nil {
		return "", nil
	}
	if !m.IsString(o) {
		return "", fmt.Errorf("vats: %s is not a string but %s", what, m.Describe(o))
	}
	return m.StringOf(o), nil
}

func (w *World) intOf(o heap.Oop, what string) (uint64, error) {
	if !o.IsInt() || o.Int() < 0 {
		return 0, fmt.Errorf("vats: %s is not a sequence number but %s", what, w.vm.Model().Describe(o))
	}
	return uint64(o.Int()), nil
}

// vectorElems answers the elements of o, which must be a Self vector of n
// elements (n < 0: any number).
func (w *World) vectorElems(o heap.Oop, n int, what string) ([]heap.Oop, error) {
	m := w.vm.Model()
	if !o.IsPtr() || object.Kind(w.h.Kind(o)) != object.KindVector || n >= 0 && m.VectorSize(o) != n {
		return nil, fmt.Errorf("vats: %s is not a vector of %d elements but %s", what, n, m.Describe(o))
	}
	elems := make([]heap.Oop, m.VectorSize(o))
	for i := range elems {
		elems[i] = m.VectorAt(o, i)
	}
	return elems, nil
}

// bytesOf answers a byteVector's bytes (a copy), or nil for nil.
func (w *World) bytesOf(o heap.Oop, what string) ([]byte, error) {
	m := w.vm.Model()
	if o == m.Nil {
		return nil, nil
	}
	if !o.IsPtr() || object.Kind(w.h.Kind(o)) != object.KindByteVector {
		return nil, fmt.Errorf("vats: %s is not a byteVector but %s", what, m.Describe(o))
	}
	return bytes.Clone(w.h.Bytes(o)), nil
}

// The outbox entry's fields (bootstrap/96-vats.self, vats outbox).
const (
	entryDest = iota
	entrySeq
	entryTarget
	entrySelector
	entryArgs
	entryPromise
	entryFields
)

// The fields of a stored reply (vats delivered).
const (
	replySeq = iota
	replyOK
	replyValue
	replyError
	replyFields
)

// Outgoing answers the committed outbox: one batch per destination, in the
// order destinations first appear, each with its messages oldest first and
// Ack one below its oldest (every earlier reply has been taken).
func (w *World) Outgoing() ([]vat.Outgoing, error) {
	var out []vat.Outgoing
	err := w.look(func() error {
		id, err := w.sendVats("id")
		if err != nil {
			return err
		}
		from, err := w.stringOf(id, "vats id")
		if err != nil {
			return err
		}
		box, err := w.sendVats("outbox")
		if err != nil {
			return err
		}
		if box, err = w.vm.Send(box, "asVector"); err != nil {
			return err
		}
		entries, err := w.vectorElems(box, -1, "vats outbox asVector")
		if err != nil {
			return err
		}
		at := map[string]int{}
		for _, e := range entries {
			msg, dest, err := w.outboxEntry(e)
			if err != nil {
				return err
			}
			i, ok := at[dest]
			if !ok {
				i = len(out)
				at[dest] = i
				out = append(out, vat.Outgoing{Dest: dest, Batch: vat.Batch{From: from, Ack: msg.Seq - 1}})
			}
			out[i].Batch.Messages = append(out[i].Batch.Messages, msg)
		}
		return nil
	})
	return out, err
}

func (w *World) outboxEntry(e heap.Oop) (vat.Message, string, error) {
	f, err := w.vectorElems(e, entryFields, "an outbox entry")
	if err != nil {
		return vat.Message{}, "", err
	}
	dest, err1 := w.stringOf(f[entryDest], "an outbox entry's destination")
	seq, err2 := w.intOf(f[entrySeq], "an outbox entry's sequence number")
	target, err3 := w.stringOf(f[entryTarget], "an outbox entry's target")
	sel, err4 := w.stringOf(f[entrySelector], "an outbox entry's selector")
	args, err5 := w.bytesOf(f[entryArgs], "an outbox entry's arguments")
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return vat.Message{}, "", err
	}
	return vat.Message{Seq: seq, Target: target, Selector: sel, Args: args}, dest, nil
}

// Deliver delivers a batch from another vat: first it drops the replies
// the sender acknowledges, then it takes the messages in order, each new
// one in a crank of its own; a message delivered before gets its stored
// reply; a message after a gap (its predecessor has not come) waits, and so
// do those after it: they get no reply yet.
func (w *World) Deliver(b vat.Batch) ([]vat.Reply, error) {
	if b.From == "" {
		return nil, errors.New("vats: a batch without its sender's vat id")
	}
	if b.Ack > 0 {
		err := w.crank(func() error {
			_, err := w.sendVats("ackFrom:UpTo:", w.str(b.From), heap.FromInt(int64(min(b.Ack, maxSeq))))
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	var replies []vat.Reply
	for _, msg := range b.Messages {
		r, ok, err := w.deliverOne(b.From, msg)
		if err != nil {
			return replies, err
		}
		if !ok {
			break
		}
		if r != nil {
			replies = append(replies, *r)
		}
	}
	return replies, nil
}

// maxSeq bounds sequence numbers to what a small integer holds.
const maxSeq = 1 << 60

// deliverOne delivers msg from sender, or answers its stored reply; ok is
// false when it must wait for an earlier message. A repeat whose reply was
// acknowledged (and dropped) gets none.
func (w *World) deliverOne(sender string, msg vat.Message) (r *vat.Reply, ok bool, err error) {
	if msg.Seq == 0 || msg.Seq > maxSeq {
		return nil, false, fmt.Errorf("vats: message sequence number %d from %s out of range", msg.Seq, sender)
	}
	var last uint64
	err = w.look(func() error {
		n, err := w.sendVats("lastDeliveredFrom:", w.str(sender))
		if err != nil {
			return err
		}
		if last, err = w.intOf(n, "the last delivered sequence number"); err != nil {
			return err
		}
		if msg.Seq > last {
			return nil
		}
		stored, err := w.sendVats("storedReplyFrom:Seq:", w.str(sender), heap.FromInt(int64(msg.Seq)))
		if err != nil || stored == w.vm.Model().Nil {
			return err
		}
		r, err = w.storedReply(stored)
		return err
	})
	switch {
	case err != nil:
		return nil, false, err
	case msg.Seq <= last:
		return r, true, nil
	case msg.Seq > last+1:
		return nil, false, nil
	}
	reply := vat.Reply{Seq: msg.Seq, OK: true}
	err = w.crank(func() error {
		result, err := w.run(msg)
		if err != nil {
			return err
		}
		reply.Value = result
		return w.record(sender, reply)
	})
	if err != nil {
		if !selfError(err) {
			return nil, false, err
		}
		reply = vat.Reply{Seq: msg.Seq, Error: err.Error()}
		if err := w.crank(func() error { return w.record(sender, reply) }); err != nil {
			return nil, false, err
		}
	}
	return &reply, true, nil
}

// refsSelectors maps the selectors other vats may send to vat.RefsTarget
// to the methods of vats that take them: nothing else reaches vats.
var refsSelectors = map[string]string{
	"passed:":  "exportsPassed:",
	"dropped:": "exportsDropped:",
}

// run sends msg to its target and answers the result's codec bytes.
func (w *World) run(msg vat.Message) ([]byte, error) {
	argc, err := selectorArity(msg.Selector)
	if err != nil {
		return nil, &vm.Error{Msg: err.Error()}
	}
	sel := msg.Selector
	if msg.Target == vat.RefsTarget {
		if sel = refsSelectors[msg.Selector]; sel == "" {
			return nil, &vm.Error{Msg: fmt.Sprintf("%s: not a message of the export counts (%s)", msg.Selector, vat.RefsTarget)}
		}
	}
	if v, err := values.Decode(msg.Args); err != nil || v.Kind != values.Vector || len(v.Elems) != argc {
		if err == nil {
			err = fmt.Errorf("the arguments of %s are not a vector of %d values", msg.Selector, argc)
		}
		return nil, &vm.Error{Msg: err.Error()}
	}
	m := w.vm.Model()
	prepared, err := w.sendVats("prepare:Args:", w.str(msg.Target), m.NewByteVector(msg.Args))
	if err != nil {
		return nil, err
	}
	parts, err := w.vectorElems(prepared, argc+1, "vats prepare:Args:")
	if err != nil {
		return nil, err
	}
	result, err := w.vm.Send(parts[0], sel, parts[1:]...)
	if err != nil {
		return nil, err
	}
	enc, err := w.sendVats("encode:", result)
	if err != nil {
		return nil, err
	}
	return w.bytesOf(enc, "an encoded result")
}

// selectorArity answers how many arguments a message with selector sel
// takes, or why sel cannot be sent from another vat.
func selectorArity(sel string) (int, error) {
	switch {
	case sel == "":
		return 0, errors.New("an empty selector")
	case strings.HasPrefix(sel, "_"):
		return 0, fmt.Errorf("%s: a primitive cannot be sent from another vat", sel)
	case strings.HasSuffix(sel, ":"):
		return strings.Count(sel, ":"), nil
	case strings.ContainsAny(sel[:1], "!%&*+,-/<=>?@\\^|~"):
		return 1, nil
	}
	return 0, nil
}

// record keeps reply in vats delivered: sender's message reply.Seq is
// delivered, and this is what it answers until acknowledged.
func (w *World) record(sender string, reply vat.Reply) error {
	m := w.vm.Model()
	v := m.NewVector(replyFields, m.Nil)
	m.VectorAtPut(v, replySeq, heap.FromInt(int64(reply.Seq)))
	m.VectorAtPut(v, replyOK, m.Bool(reply.OK))
	if reply.OK {
		m.VectorAtPut(v, replyValue, m.NewByteVector(reply.Value))
	} else {
		m.VectorAtPut(v, replyError, w.str(reply.Error))
	}
	_, err := w.sendVats("record:From:", v, w.str(sender))
	return err
}

func (w *World) storedReply(o heap.Oop) (*vat.Reply, error) {
	f, err := w.vectorElems(o, replyFields, "a stored reply")
	if err != nil {
		return nil, err
	}
	seq, err1 := w.intOf(f[replySeq], "a stored reply's sequence number")
	val, err2 := w.bytesOf(f[replyValue], "a stored reply's value")
	text, err3 := w.stringOf(f[replyError], "a stored reply's error")
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, err
	}
	return &vat.Reply{Seq: seq, OK: f[replyOK] == w.vm.Model().True, Value: val, Error: text}, nil
}

// Accept takes replies from the vat at dest: each settles its promise and
// drops its outbox entry in a transaction of its own (a reply to no entry,
// unknown or taken before, changes nothing); a value that cannot be decoded
// rejects the promise with why. Then the callbacks that became due run,
// each in its own transaction; their errors are answered, joined, after
// all have run, and undo nothing but their own callback's work.
func (w *World) Accept(dest string, replies []vat.Reply) error {
	for _, r := range replies {
		if r.Seq == 0 || r.Seq > maxSeq {
			return fmt.Errorf("vats: a reply from %s with sequence number %d out of range", dest, r.Seq)
		}
		err := w.settle(dest, r)
		if err != nil && r.OK && selfError(err) {
			err = w.settle(dest, vat.Reply{Seq: r.Seq, Error: "bad reply from " + dest + ": " + err.Error()})
		}
		if err != nil {
			return err
		}
	}
	return w.RunCallbacks()
}

// settle hands r to vats acceptFrom:Seq:Ok:Value:, which decodes a value
// only when r answers an entry of the outbox, so that a repeated reply
// counts no imports.
func (w *World) settle(dest string, r vat.Reply) error {
	return w.crank(func() error {
		m := w.vm.Model()
		v := w.str(r.Error)
		if r.OK {
			v = m.NewByteVector(r.Value)
		}
		_, err := w.sendVats("acceptFrom:Seq:Ok:Value:", w.str(dest), heap.FromInt(int64(r.Seq)), m.Bool(r.OK), v)
		return err
	})
}

// Collect collects the world's garbage; then, in a transaction of its own,
// the imports whose far references the collection found all gone are
// forgotten and their vats told, by messages in the outbox (vats
// collectImports), that they may drop them.
func (w *World) Collect() (heap.GCStats, error) { return w.CollectProgress(nil) }

// CollectProgress is Collect with a progress callback (bytes swept, bytes to sweep).
func (w *World) CollectProgress(progress func(done, total uint64)) (heap.GCStats, error) {
	st, err := w.h.CollectProgress(progress)
	if err != nil {
		return st, err
	}
	return st, w.collectImports()
}

// collectImports runs vats collectImports in a crank of its own, in a
// world whose vats keeps imports: one made from an older image has none
// (nor even vats), and keeps every export as it always did.
func (w *World) collectImports() error {
	if !w.keepsImports() {
		return nil
	}
	return w.crank(func() error { _, err := w.sendVats("collectImports"); return err })
}

// keepsImports reports whether globals vats has its own slot imports.
func (w *World) keepsImports() bool {
	m := w.vm.Model()
	slot := func(o heap.Oop, name string) (object.Slot, bool) {
		sel := m.LookupInterned([]byte(name))
		if sel == heap.Nil || !o.IsPtr() {
			return object.Slot{}, false
		}
		i := m.FindSlot(m.MapOf(o), sel)
		if i < 0 {
			return object.Slot{}, false
		}
		return m.MapSlot(m.MapOf(o), i), true
	}
	v, ok := slot(m.Special(object.SpGlobals), "vats")
	if !ok || v.Kind != object.SlotConst {
		return false
	}
	_, ok = slot(v.Value, "imports")
	return ok
}

// RunCallbacks runs the promise callbacks that are due, each in its own
// transaction. A callback that fails is dropped (in a transaction of its
// own) and its error kept; they are answered together at the end.
func (w *World) RunCallbacks() error {
	var errs []error
	for {
		var due bool
		err := w.look(func() error {
			d, err := w.sendVats("hasDue")
			due = d == w.vm.Model().True
			return err
		})
		if err != nil || !due {
			return errors.Join(append(errs, err)...)
		}
		err = w.crank(func() error { _, err := w.sendVats("runDue"); return err })
		if err == nil {
			continue
		}
		if !selfError(err) {
			return errors.Join(append(errs, err)...)
		}
		errs = append(errs, fmt.Errorf("a promise callback failed: %w", err))
		if err := w.crank(func() error { _, err := w.sendVats("dropDue"); return err }); err != nil {
			return errors.Join(append(errs, err)...)
		}
	}
}
