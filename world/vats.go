package world

import (
	"errors"
	"fmt"
	"strings"

	"psyche/heap"
	"psyche/vat"
	"psyche/vat/values"
	"psyche/vm"
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

// Outgoing answers the committed outbox: one batch per destination, in the
// order destinations first appear, each with its messages oldest first and
// Ack one below its oldest (every earlier reply has been taken).
//
// The handoff: an entry that carries a far reference to a third vat's
// object names the passed: entries (to that vat) that announce it, and it
// is held (Outgoing.Held), with every later entry to its destination, while
// any of them is still in the outbox, that is until the third vat has
// counted the reference. Its receiver cannot drop the reference before the
// count that keeps it exists. A handoff always names an older entry, so the
// oldest entry of the outbox is never held: the outbox always moves.
func (w *World) Outgoing() ([]vat.Outgoing, error) {
	var out []vat.Outgoing
	err := w.look(func() error {
		id, err := w.vatsSlot(vatsID)
		if err != nil {
			return err
		}
		from, err := w.stringOf(id, "vats id")
		if err != nil {
			return err
		}
		entries, err := w.outbox()
		if err != nil {
			return err
		}
		inOutbox := map[vat.MessageID]bool{}
		for _, e := range entries {
			inOutbox[vat.MessageID{Dest: e.dest, Seq: e.msg.Seq}] = true
		}
		at := map[string]int{}
		for _, e := range entries {
			i, ok := at[e.dest]
			if !ok {
				i = len(out)
				at[e.dest] = i
				out = append(out, vat.Outgoing{Dest: e.dest, Batch: vat.Batch{From: from, Ack: e.msg.Seq - 1}})
			}
			o := &out[i]
			if len(o.Held) > 0 || anyIn(e.handoffs, inOutbox) {
				o.Held = append(o.Held, e.msg)
			} else {
				o.Batch.Messages = append(o.Batch.Messages, e.msg)
			}
		}
		return nil
	})
	if errors.Is(err, vat.ErrNotFatal) {
		return nil, &coreError{msg: "the outbox cannot be read, and nothing is sent until the core is repaired or rolled back: " + err.Error(), err: err}
	}
	return out, err
}

func anyIn(ids []vat.MessageID, set map[vat.MessageID]bool) bool {
	for _, id := range ids {
		if set[id] {
			return true
		}
	}
	return false
}

// outgoingEntry is an outbox entry as Go reads it.
type outgoingEntry struct {
	msg      vat.Message
	dest     string
	handoffs []vat.MessageID
}

// outbox answers the entries of vats outbox, oldest first, read directly
// (coreread.go): the outbox is sent whatever a user did to the core.
func (w *World) outbox() ([]outgoingEntry, error) {
	box, err := w.vatsSlot(vatsOutbox)
	if err != nil {
		return nil, err
	}
	elems, err := w.listElems(box, "vats outbox")
	if err != nil {
		return nil, err
	}
	entries := make([]outgoingEntry, len(elems))
	for k, e := range elems {
		if entries[k], err = w.outboxEntry(e); err != nil {
			return nil, err
		}
	}
	return entries, nil
}

// outboxEntry reads an outbox entry.
func (w *World) outboxEntry(e heap.Oop) (outgoingEntry, error) {
	f, err := w.recordFields(e, &outboxEntry)
	if err != nil {
		return outgoingEntry{}, err
	}
	field := outboxEntry.field
	dest, err1 := w.stringOf(f[entryDest], field(entryDest))
	seq, err2 := w.intOf(f[entrySeq], field(entrySeq))
	target, err3 := w.stringOf(f[entryTarget], field(entryTarget))
	sel, err4 := w.stringOf(f[entrySelector], field(entrySelector))
	args, err5 := w.bytesOf(f[entryArgs], field(entryArgs))
	handoffs, err6 := w.handoffsOf(f[entryHandoffs], field(entryHandoffs))
	if err := errors.Join(err1, err2, err3, err4, err5, err6); err != nil {
		return outgoingEntry{}, err
	}
	return outgoingEntry{vat.Message{Seq: seq, Target: target, Selector: sel, Args: args}, dest, handoffs}, nil
}

// handoffsOf answers the passed: entries named by a handoffs field: nil, or
// a vector of (address, sequence number) vectors.
func (w *World) handoffsOf(o heap.Oop, what string) ([]vat.MessageID, error) {
	if o == w.vm.Model().Nil {
		return nil, nil
	}
	hs, err := w.vectorElems(o, -1, what)
	if err != nil {
		return nil, err
	}
	ids := make([]vat.MessageID, len(hs))
	for i, h := range hs {
		f, err := w.recordFields(h, &handoff)
		if err != nil {
			return nil, err
		}
		dest, err1 := w.stringOf(f[handoffDest], handoff.field(handoffDest))
		seq, err2 := w.intOf(f[handoffSeq], handoff.field(handoffSeq))
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		ids[i] = vat.MessageID{Dest: dest, Seq: seq}
	}
	return ids, nil
}

// Deliver delivers a batch from another vat: first it drops the replies
// the sender acknowledges, then it takes the messages in order, each new
// one in a crank of its own; a message delivered before gets its stored
// reply; a message after a gap (its predecessor has not come) waits, and so
// do those after it: they get no reply yet.
//
// When the core's part fails (a user broke a vats method it runs), that
// work is undone and answered as a vat.ErrNotFatal error, with the replies
// made before it: a message that could not be recorded gets no reply, and
// its sender sends it again.
func (w *World) Deliver(b vat.Batch) ([]vat.Reply, error) {
	if b.From == "" {
		return nil, errors.New("vats: a batch without its sender's vat id")
	}
	var ackErr error
	if b.Ack > 0 {
		err := w.crank(func() error {
			_, err := w.sendVats("ackFrom:UpTo:", w.str(b.From), heap.FromInt(int64(min(b.Ack, maxSeq))))
			return err
		})
		ackErr = coreFailed(fmt.Sprintf("to drop the replies %s acknowledged (vats ackFrom:UpTo:)", b.From), err)
		if ackErr != nil && !errors.Is(ackErr, vat.ErrNotFatal) {
			return nil, ackErr
		}
	}
	var replies []vat.Reply
	for _, msg := range b.Messages {
		r, ok, err := w.deliverOne(b.From, msg)
		if err != nil {
			if errors.Is(err, vat.ErrNotFatal) {
				err = errors.Join(ackErr, err)
			}
			return replies, err
		}
		if !ok {
			break
		}
		if r != nil {
			replies = append(replies, *r)
		}
	}
	return replies, ackErr
}

// maxSeq bounds sequence numbers to what a small integer holds.
const maxSeq = 1 << 60

// deliverOne delivers msg from sender, or answers its stored reply; ok is
// false when it must wait for an earlier message, or when its reply waits
// for a handoff (it carries a far reference to a third vat's object, and
// that vat has not yet acknowledged the passed: that counts it). A repeat
// whose reply was acknowledged (and dropped) gets none.
func (w *World) deliverOne(sender string, msg vat.Message) (r *vat.Reply, ok bool, err error) {
	if msg.Seq == 0 || msg.Seq > maxSeq {
		return nil, false, fmt.Errorf("vats: message sequence number %d from %s out of range", msg.Seq, sender)
	}
	var last uint64
	var held bool
	err = w.look(func() error {
		var err error
		last, r, held, err = w.delivered(sender, msg.Seq)
		return err
	})
	switch {
	case err != nil:
		return nil, false, err
	case held:
		return nil, false, nil
	case msg.Seq <= last:
		return r, true, nil
	case msg.Seq > last+1:
		return nil, false, nil
	}
	reply := vat.Reply{Seq: msg.Seq, OK: true}
	err = w.crank(func() error {
		result, handoffs, err := w.run(msg)
		if err != nil {
			return err
		}
		reply.Value = result
		held = handoffs != w.vm.Model().Nil
		return w.record(sender, reply, handoffs)
	})
	if err == nil && held {
		return nil, false, nil
	}
	if err != nil {
		var ce *coreError
		if !selfError(err) && !errors.As(err, &ce) {
			return nil, false, err
		}
		reply = vat.Reply{Seq: msg.Seq, Error: err.Error()}
		err := w.crank(func() error { return w.record(sender, reply, w.vm.Model().Nil) })
		if err != nil {
			return nil, false, coreFailed(fmt.Sprintf("to record the rejection of message %d from %s (vats record:From:; the message waits)", msg.Seq, sender), err)
		}
	}
	return &reply, true, nil
}

// delivered answers, from vats delivered (read directly), the last
// sequence number delivered from sender, the stored reply to its message
// seq if there is one, and whether that reply waits for a handoff: a
// passed: entry it names is still in the outbox.
func (w *World) delivered(sender string, seq uint64) (last uint64, r *vat.Reply, held bool, err error) {
	d, err := w.vatsSlot(vatsDelivered)
	if err != nil {
		return 0, nil, false, err
	}
	rec, ok, err := w.dictionaryAtString(d, sender, "vats delivered")
	if err != nil || !ok {
		return 0, nil, false, err
	}
	f, err := w.recordFields(rec, &deliveredRecord)
	if err != nil {
		return 0, nil, false, err
	}
	if last, err = w.intOf(f[deliveredLast], deliveredRecord.field(deliveredLast)); err != nil || seq > last {
		return last, nil, false, err
	}
	stored, err := w.listElems(f[deliveredReplies], deliveredRecord.field(deliveredReplies))
	if err != nil {
		return 0, nil, false, err
	}
	for _, s := range stored {
		reply, handoffs, err := w.storedReply(s)
		if err != nil {
			return 0, nil, false, err
		}
		if reply.Seq != seq {
			continue
		}
		if len(handoffs) == 0 {
			return last, reply, false, nil
		}
		entries, err := w.outbox()
		if err != nil {
			return 0, nil, false, err
		}
		for _, e := range entries {
			for _, h := range handoffs {
				held = held || h == vat.MessageID{Dest: e.dest, Seq: e.msg.Seq}
			}
		}
		return last, reply, held, nil
	}
	return last, nil, false, nil
}

// refsSelectors maps the selectors other vats may send to vat.RefsTarget
// to the methods of vats that take them: nothing else reaches vats.
var refsSelectors = map[string]string{
	"passed:":  "exportsPassed:",
	"dropped:": "exportsDropped:",
}

// run sends msg to its target and answers the result's codec bytes and
// the reply's handoffs (nil, or the passed: entries it must wait for; the
// oop is good until the next send).
func (w *World) run(msg vat.Message) ([]byte, heap.Oop, error) {
	m := w.vm.Model()
	argc, err := selectorArity(msg.Selector)
	if err != nil {
		return nil, m.Nil, &vm.Error{Msg: err.Error()}
	}
	sel := msg.Selector
	if msg.Target == vat.RefsTarget {
		if sel = refsSelectors[msg.Selector]; sel == "" {
			return nil, m.Nil, &vm.Error{Msg: fmt.Sprintf("%s: not a message of the export counts (%s)", msg.Selector, vat.RefsTarget)}
		}
	}
	if v, err := values.Decode(msg.Args); err != nil || v.Kind != values.Vector || len(v.Elems) != argc {
		if err == nil {
			err = fmt.Errorf("the arguments of %s are not a vector of %d values", msg.Selector, argc)
		}
		return nil, m.Nil, &vm.Error{Msg: err.Error()}
	}
	prepared, err := w.sendVats("prepare:Args:", w.str(msg.Target), m.NewByteVector(msg.Args))
	if err != nil {
		return nil, m.Nil, err
	}
	parts, err := w.vectorElems(prepared, argc+1, "vats prepare:Args:")
	if err != nil {
		return nil, m.Nil, err
	}
	result, err := w.vm.Send(parts[0], sel, parts[1:]...)
	if err != nil {
		return nil, m.Nil, err
	}
	if !w.vatsHas("encodeReply:") { // an older world: no handoffs
		enc, err := w.sendVats("encode:", result)
		if err != nil {
			return nil, m.Nil, err
		}
		b, err := w.bytesOf(enc, "an encoded result")
		return b, m.Nil, err
	}
	enc, err := w.sendVats("encodeReply:", result)
	if err != nil {
		return nil, m.Nil, err
	}
	f, err := w.vectorElems(enc, 2, "vats encodeReply:")
	if err != nil {
		return nil, m.Nil, err
	}
	b, err := w.bytesOf(f[0], "an encoded result")
	return b, f[1], err
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
// delivered, and this is what it answers until acknowledged, once no
// passed: entry of handoffs (nil, or as in an outbox entry) is left.
func (w *World) record(sender string, reply vat.Reply, handoffs heap.Oop) error {
	m := w.vm.Model()
	n := replyFields
	if handoffs == m.Nil {
		n = replyHandoffs // what an older world reads too
	}
	v := m.NewVector(n, m.Nil)
	if handoffs != m.Nil {
		m.VectorAtPut(v, replyHandoffs, handoffs)
	}
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

// storedReply answers a stored reply and the passed: entries it waits for.
func (w *World) storedReply(o heap.Oop) (*vat.Reply, []vat.MessageID, error) {
	m := w.vm.Model()
	f, err := w.recordFields(o, &storedReply)
	if err != nil {
		return nil, nil, err
	}
	field := storedReply.field
	seq, err1 := w.intOf(f[replySeq], field(replySeq))
	val, err2 := w.bytesOf(f[replyValue], field(replyValue))
	text, err3 := w.stringOf(f[replyError], field(replyError))
	handoffs, err4 := w.handoffsOf(f[replyHandoffs], field(replyHandoffs))
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return nil, nil, err
	}
	return &vat.Reply{Seq: seq, OK: f[replyOK] == m.True, Value: val, Error: text}, handoffs, nil
}

// Accept takes replies from the vat at dest: each settles its promise and
// drops its outbox entry in a transaction of its own (a reply to no entry,
// unknown or taken before, changes nothing); a value that cannot be decoded
// rejects the promise with why. Then the callbacks that became due run,
// each in its own transaction; their errors are answered, joined, after
// all have run, and undo nothing but their own callback's work.
//
// A reply the core cannot take (a user broke a vats method it runs) leaves
// its entry in the outbox, to be sent and answered again, and is answered
// as a vat.ErrNotFatal error, as are the callbacks' errors.
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
			return coreFailed(fmt.Sprintf("to take the reply to message %d from %s (vats acceptFrom:Seq:Ok:Value:; the message stays in the outbox)", r.Seq, dest), err)
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

// maxCallbacksInARow bounds how many promise callbacks one RunCallbacks
// runs, so that a runDue a user changed to leave its callback due cannot
// hold the world forever; the rest run after the next reply.
const maxCallbacksInARow = 10000

// RunCallbacks runs the promise callbacks that are due (vats due, read
// directly), each in its own transaction. A callback that fails is dropped
// (in a transaction of its own) and its error kept; they are answered
// together at the end, as vat.ErrNotFatal errors: they undid only their
// own callback.
func (w *World) RunCallbacks() error {
	var errs []error
	for range maxCallbacksInARow {
		var due int
		err := w.look(func() error {
			d, err := w.vatsSlot(vatsDue)
			if err == nil {
				due, err = w.listSize(d, "vats due")
			}
			return err
		})
		if err != nil || due == 0 {
			return errors.Join(append(errs, err)...)
		}
		err = w.crank(func() error { _, err := w.sendVats("runDue"); return err })
		if err == nil {
			continue
		}
		if !selfError(err) {
			return errors.Join(append(errs, err)...)
		}
		errs = append(errs, &coreError{msg: "a promise callback failed: " + err.Error() + innermost(err), err: err})
		err = w.crank(func() error { _, err := w.sendVats("dropDue"); return err })
		if err != nil {
			return errors.Join(append(errs, coreFailed("to drop the failed promise callback (vats dropDue)", err))...)
		}
	}
	return errors.Join(append(errs, coreErrorf("more than %d promise callbacks ran in a row (does vats runDue still remove the callback it runs?); the rest run after the next reply", maxCallbacksInARow))...)
}
