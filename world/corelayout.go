package world

import "psyche/vm"

// The core world's layouts that Go relies on: the seed of the declared
// contract between Go and the Self sources of bootstrap/. Go reads these
// objects directly, through their slots and fields, and never by sending
// them a message a user could redefine: whatever a user does to the core's
// methods, the system's own bookkeeping (the outbox, the delivered record,
// the due callbacks) still reads. TestCoreLayoutMatchesBootstrap checks
// each declaration against a world built from the sources, and names the
// file to change when one no longer holds.

// coreObject declares an object of the core world, or a kind of object
// (every list is a copy of globals list), and the data slots of its own
// that Go reads.
type coreObject struct {
	// name is how Self code names it.
	name string
	// global is the constant slot of globals that holds it (or its
	// prototype).
	global string
	// source is the bootstrap file that defines it.
	source string
	// slots are the data slots Go reads, each an own slot of the object.
	slots []string
}

// The data slots Go reads, by object.
const (
	vatsID        = "id"
	vatsOutbox    = "outbox"
	vatsDelivered = "delivered"
	vatsDue       = "due"
	vatsImports   = "imports"

	listItems = "items"
	listStart = "start"
	listSize  = "size"
)

// A dictionary's, as the VM's hash-table primitives name them.
var (
	dictionaryKeys   = vm.TableSlots.Keys
	dictionaryValues = vm.TableSlots.Values
	dictionarySize   = vm.TableSlots.Size
)

var (
	// coreVats is the vats object (docs/vats.md), reached as globals' slot.
	coreVats = coreObject{
		name:   "globals vats",
		global: "vats",
		source: "bootstrap/96-vats.self",
		slots:  []string{vatsID, vatsOutbox, vatsDelivered, vatsDue, vatsImports},
	}
	// coreList: a list keeps element k at items at: (start + k) modulo
	// items size, for k below size (the methods are in 60-list.self).
	coreList = coreObject{
		name:   "a list",
		global: "list",
		source: "bootstrap/95-prototypes.self and 60-list.self",
		slots:  []string{listItems, listStart, listSize},
	}
	// coreDictionary: a dictionary keeps the key of entry i at keyTable at:
	// i and its value at valueTable at: i; a free place holds a private
	// marker, never a string, so Go finds a string key by looking at every
	// place (the methods are in 65-hashTable.self and 70-dictionary.self).
	coreDictionary = coreObject{
		name:   "a dictionary",
		global: "dictionary",
		source: "bootstrap/95-prototypes.self and 65-hashTable.self",
		slots:  []string{dictionaryKeys, dictionaryValues, dictionarySize},
	}
)

// coreObjects is every declared object, for the test that checks them.
var coreObjects = []*coreObject{&coreVats, &coreList, &coreDictionary}

// coreRecord declares a vector that the core's Self code fills with fixed
// fields and Go reads by position.
type coreRecord struct {
	name   string
	source string
	// fields names each position, in order.
	fields []string
	// older is how many fields the record of an older world has.
	older int
}

// The outbox entry's fields (vats send:To:Args:).
const (
	entryDest = iota
	entrySeq
	entryTarget
	entrySelector
	entryArgs
	entryPromise
	entryHandoffs
	entryFields
)

// The fields of a stored reply (vats record:From:).
const (
	replySeq = iota
	replyOK
	replyValue
	replyError
	replyHandoffs
	replyFields
)

// The fields of a sender's record in vats delivered (vats record:From:).
const (
	deliveredLast = iota
	deliveredReplies
	deliveredFields
)

// The fields of a handoff: the passed: entry an outbox entry waits for.
const (
	handoffDest = iota
	handoffSeq
	handoffFields
)

var (
	outboxEntry = coreRecord{
		name:   "an outbox entry",
		source: "bootstrap/96-vats.self (vats send:To:Args:)",
		fields: []string{"destination", "sequence number", "target key", "selector", "encoded arguments", "promise", "handoffs"},
		older:  entryHandoffs,
	}
	storedReply = coreRecord{
		name:   "a stored reply",
		source: "bootstrap/96-vats.self (vats record:From:, World.record)",
		fields: []string{"sequence number", "ok", "encoded value", "error text", "handoffs"},
		older:  replyHandoffs,
	}
	deliveredRecord = coreRecord{
		name:   "a sender's record in vats delivered",
		source: "bootstrap/96-vats.self (vats record:From:)",
		fields: []string{"last sequence number delivered", "replies not yet acknowledged (a list)"},
		older:  deliveredFields,
	}
	handoff = coreRecord{
		name:   "a handoff",
		source: "bootstrap/96-vats.self (vats passOn:To:Waits:)",
		fields: []string{"address", "sequence number"},
		older:  handoffFields,
	}
)
