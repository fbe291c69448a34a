"Psyche core world: vats (docs/vats.md), the heap side of worlds that
 message each other. globals gets the prototypes farRef and promise and
 the object vats, which keeps, in the heap and so inside transactions:

   id          this world's vat id (32 hex digits), made when first needed
   outbox      the eventual sends not yet answered, oldest first; each a
               vector: destination address, sequence number, target key,
               selector, encoded arguments (a byteVector), promise, and
               its handoffs: nil, or a vector of (address, sequence
               number) pairs naming the passed: entries it waits for (an
               entry of an older world has only the first six)
   nextSeqs    destination address -> the last sequence number used
   exports     export key -> the object passed by reference under it
   exportKeys  identity hash -> list of (object, key) pairs: the reverse
               of exports, so an object keeps its key
   exportCounts export key -> how many far references to it other vats
               may hold: one for each value it went out in, and each one
               a holder announced passing on; the holders' drops subtract
               theirs, and at zero the export is forgotten
   imports     vat address -> dictionary: export key -> vector: how many
               values brought a reference to it here, a weakStore whose
               keys are the far references decoded from them; once the
               collector has emptied the store, no far reference to it is
               left, and collectImports tells its vat how many to drop
   delivered   sender vat id -> vector: the last sequence number delivered
               from it, a list of its replies not yet acknowledged (each
               a vector: seq, ok, encoded value or nil, error text or nil,
               handoffs as in outbox; an older world's has only four)
   due         promise callbacks to run, each a vector: block, value

 The world (world/vats.go) sends the methods below from Go, each inside
 a transaction of its own, where a failure (a user changed one) is undone.
 What it only reads (id, outbox, delivered, due, imports, and the vectors
 kept in them) it reads from Go, through the layouts declared in
 world/corelayout.go: TestCoreLayoutMatchesBootstrap fails, naming them,
 if this file changes one. This file comes after the prototypes it copies."

globals _AddSlots: ( |
    farRef = ( | parent* = traits farRef. vat <- ''. key <- '' | ).
    promise = ( | parent* = traits promise. state <- 'pending'. value <- nil. callbacks <- list copyRemoveAll | ).
    vats = ( |
        parent* = traits clonable.
        id <- nil.
        outbox <- list copyRemoveAll.
        nextSeqs <- dictionary copyRemoveAll.
        exports <- dictionary copyRemoveAll.
        exportKeys <- dictionary copyRemoveAll.
        exportCounts <- dictionary copyRemoveAll.
        imports <- dictionary copyRemoveAll.
        delivered <- dictionary copyRemoveAll.
        due <- list copyRemoveAll.

        printString = ( 'vats' ).
        myId = ( id isNil ifTrue: [id: _VatRandomKey]. id ).
        "this world's own address: what vats at: takes to reach its gateway"
        address = ( _VatAddress ).
        "a far reference to the gateway of the vat at address: a world's
         directory (made absolute) or a tcp:// sturdy reference"
        at: address = ( (farRef _Clone vat: (_VatResolve: address)) key: 'gateway' ).

        "an eventual send (the far reference's undefinedSelector hook):
         record it in the outbox and answer its promise"
        send: sel To: ref Args: args = ( | p. dest. seq. e. waits |
            dest: ref vat.
            seq: (nextSeqs at: dest IfAbsent: 0) + 1.
            e: vector copySize: 7.
            e at: 0 Put: dest.
            e at: 1 Put: seq.
            e at: 2 Put: ref key.
            e at: 3 Put: sel.
            waits: list copyRemoveAll.
            e at: 4 Put: (encode: args To: dest Waits: waits).
            p: promise _Clone.
            p callbacks: list copyRemoveAll.
            e at: 5 Put: p.
            e at: 6 Put: (handoffs: waits).
            nextSeqs at: dest Put: seq.
            myId.
            outbox addLast: e.
            p ).

        "the codec's bytes of v, a value going to the vat at dest (nil for
         a reply: the sender's address is not known), exporting what
         passes by reference and counting the far references it carries;
         the passed: entries the value must wait for are added to waits"
        encode: v = ( encode: v To: nil Waits: list copyRemoveAll ).
        encode: v To: dest Waits: waits = ( | refs. keys |
            refs: _VatRefsIn: v.
            keys: vector copySize: refs size.
            0 upTo: refs size Do: [|:i| keys at: i Put: (exportKeyFor: (refs at: i))].
            passOn: v To: dest Waits: waits.
            _VatEncode: v Keys: keys ).
        "a result going back as a reply: a vector of its bytes and its
         handoffs (nil, or the passed: entries the reply waits for)"
        encodeReply: v = ( | waits. r |
            waits: list copyRemoveAll.
            r: vector copySize: 2.
            r at: 0 Put: (encode: v To: nil Waits: waits).
            r at: 1 Put: (handoffs: waits).
            r ).
        "the handoffs field of an outbox entry or a stored reply"
        handoffs: waits = ( waits isEmpty ifTrue: [nil] False: [waits asVector] ).
        "the value of bytes, noting the far references it brings"
        decode: bytes = ( | v | v: _VatDecode: bytes. noteImports: v. v ).
        "o's export key, made (a swiss number) the first time o is passed;
         each call counts one more value that carries it away"
        exportKeyFor: o = ( | h. bucket. k. pair |
            h: o _IdentityHash.
            bucket: exportKeys at: h IfAbsent: [
                exportKeys at: h Put: list copyRemoveAll.
                exportKeys at: h].
            bucket do: [|:x| ((x at: 0) _Eq: o) ifTrue: [^ countExport: (x at: 1) By: 1]].
            k: _VatRandomKey.
            pair: vector copySize: 2.
            pair at: 0 Put: o.
            pair at: 1 Put: k.
            bucket addLast: pair.
            exports at: k Put: o.
            countExport: k By: 1 ).
        countExport: k By: n = (
            exportCounts at: k Put: (exportCounts at: k IfAbsent: 0) + n.
            k ).

        "reference counting across vats. A far reference is counted when
         it is its own vat's gateway, or names this world (then it is an
         export of its own, counted in exportCounts)"
        refsKey = '-refs-'.
        counted: r = ( (r key = 'gateway') not && [(r vat = _VatAddress) not] ).
        "the far references in v, once per (vat, key): a dictionary vat
         address -> dictionary key -> 1"
        refsByVat: v = ( | by |
            by: dictionary copyRemoveAll.
            (_VatFarRefsIn: v) do: [|:r. d|
                (r key = 'gateway') ifFalse: [
                    d: by at: r vat IfAbsent: [
                        by at: r vat Put: dictionary copyRemoveAll.
                        by at: r vat].
                    d at: r key Put: 1]].
            by ).
        "v carries far references to dest: an export of this world counts
         one more holder; a reference to a third vat's object is announced
         to that vat (passed:) before this world can drop its own, since
         its messages to that vat arrive in order, and the value waits
         (the handoff) until that vat has acknowledged the announcement,
         so that no drop by the receiver can reach it first"
        passOn: v To: dest Waits: waits = ( | h |
            (refsByVat: v) keysAndValuesDo: [|:a. :d|
                (a = _VatAddress)
                    ifTrue: [d keysDo: [|:k| (exportCounts includesKey: k) ifTrue: [countExport: k By: 1]]]
                    False: [(a = dest) ifFalse: [
                        refsMessage: 'passed:' To: a With: d.
                        h: vector copySize: 2.
                        h at: 0 Put: a.
                        h at: 1 Put: (nextSeqs at: a).
                        waits addLast: h]]].
            self ).
        "a message to the reserved target of the vat at address"
        refsMessage: sel To: address With: counts = ( | args |
            args: vector copySize: 1.
            args at: 0 Put: counts.
            send: sel To: ((farRef _Clone vat: address) key: refsKey) Args: args ).
        "a decoded value v brought far references: each (vat, key) counts
         one more value, and each reference is a key of its weakStore"
        noteImports: v = ( | by |
            by: refsByVat: v.
            (_VatFarRefsIn: v) do: [|:r. rec|
                (counted: r) ifTrue: [
                    rec: importFor: r.
                    ((by at: r vat) includesKey: r key) ifTrue: [
                        rec at: 0 Put: (rec at: 0) + 1.
                        (by at: r vat) removeKey: r key].
                    (rec at: 1) init: r With: true]].
            self ).
        importFor: r = ( | d. rec |
            d: imports at: r vat IfAbsent: [
                imports at: r vat Put: dictionary copyRemoveAll.
                imports at: r vat].
            d at: r key IfAbsent: [
                rec: vector copySize: 2.
                rec at: 0 Put: 0.
                rec at: 1 Put: weakStore copyRemoveAll.
                d at: r key Put: rec.
                rec] ).
        "after a collection: every import whose far references are all
         gone is forgotten, and its vat told how many it may drop"
        collectImports = ( | emptied |
            emptied: list copyRemoveAll.
            imports keysAndValuesDo: [|:a. :d. gone|
                gone: dictionary copyRemoveAll.
                d keysAndValuesDo: [|:k. :rec| (rec at: 1) isEmpty ifTrue: [gone at: k Put: (rec at: 0)]].
                gone keysDo: [|:k| d removeKey: k].
                gone isEmpty ifFalse: [refsMessage: 'dropped:' To: a With: gone].
                d isEmpty ifTrue: [emptied addLast: a]].
            emptied do: [|:a| imports removeKey: a].
            self ).
        "messages to refsKey from other vats: counts is a dictionary export
         key -> how many; keys not exported (any more) are ignored"
        exportsPassed: counts = (
            counts keysAndValuesDo: [|:k. :n|
                (exportCounts includesKey: k) ifTrue: [countExport: k By: (n _IntAdd: 0)]].
            nil ).
        exportsDropped: counts = (
            counts keysAndValuesDo: [|:k. :n|
                (exportCounts includesKey: k) ifTrue: [
                    countExport: k By: 0 - (n _IntAdd: 0).
                    ((exportCounts at: k) > 0) ifFalse: [forgetExport: k]]].
            nil ).
        forgetExport: k = ( | o. h. bucket. i |
            o: exports at: k.
            exports removeKey: k.
            exportCounts removeKey: k.
            h: o _IdentityHash.
            bucket: exportKeys at: h.
            i: 0.
            [i < bucket size] whileTrue: [
                ((bucket at: i) at: 1) = k
                    ifTrue: [bucket removeAt: i]
                    False: [i: i + 1]].
            bucket isEmpty ifTrue: [exportKeys removeKey: h].
            self ).

        "delivery: the object a message to key goes to"
        targetAt: key = (
            (key = 'gateway') ifTrue: [^ lobby gateway].
            (key = refsKey) ifTrue: [^ self].
            exports at: key IfAbsent: [error: 'no object exported under that key: ', key] ).
        "the target of a message to key, then its decoded arguments"
        prepare: key Args: bytes = ( | t. a. r |
            t: targetAt: key.
            a: decode: bytes.
            r: vector copySize: a size + 1.
            r at: 0 Put: t.
            0 upTo: a size Do: [|:i| r at: i + 1 Put: (a at: i)].
            r ).
        record: reply From: sender = ( | r |
            r: delivered at: sender IfAbsent: [
                r: vector copySize: 2.
                r at: 0 Put: 0.
                r at: 1 Put: list copyRemoveAll.
                delivered at: sender Put: r.
                r].
            r at: 0 Put: (reply at: 0).
            (r at: 1) addLast: reply.
            reply ).
        ackFrom: sender UpTo: n = ( | r |
            r: delivered at: sender IfAbsent: [^ self].
            [(r at: 1) notEmpty && [((r at: 1) first at: 0) <= n]] whileTrue: [(r at: 1) removeFirst].
            self ).

        "replies: settle the promise of the outbox entry (dest, n) and
         drop the entry; false if there is none (an unknown or repeated
         reply). v is the encoded value, or the error's text: a value is
         decoded only for an entry, so a repeated reply brings no imports"
        acceptFrom: dest Seq: n Ok: ok Value: v = ( | k. e |
            k: 0.
            [k < outbox size] whileTrue: [
                e: outbox at: k.
                (((e at: 0) = dest) && [(e at: 1) = n]) ifTrue: [
                    outbox removeAt: k.
                    ok ifTrue: [(e at: 5) resolve: (decode: v)] False: [(e at: 5) reject: v].
                    ^ true].
                k: k + 1].
            false ).
        queue: block With: v = ( | d |
            d: vector copySize: 2.
            d at: 0 Put: block.
            d at: 1 Put: v.
            due addLast: d.
            self ).
        runDue = ( | d |
            d: due removeFirst.
            (d at: 0) value: (d at: 1).
            self ).
        dropDue = ( due removeFirst. self ).
    | ).
| ).
