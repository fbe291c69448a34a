"Psyche core world: vats (docs/vats.md), the heap side of worlds that
 message each other. globals gets the prototypes farRef and promise and
 the object vats, which keeps, in the heap and so inside transactions:

   id          this world's vat id (32 hex digits), made when first needed
   outbox      the eventual sends not yet answered, oldest first; each a
               vector: destination address, sequence number, target key,
               selector, encoded arguments (a byteVector), promise
   nextSeqs    destination address -> the last sequence number used
   exports     export key -> the object passed by reference under it
   exportKeys  identity hash -> list of (object, key) pairs: the reverse
               of exports, so an object keeps its key
   delivered   sender vat id -> vector: the last sequence number delivered
               from it, a list of its replies not yet acknowledged (each
               a vector: seq, ok, encoded value or nil, error text or nil)
   due         promise callbacks to run, each a vector: block, value

 The world (world/vats.go) sends the methods below from Go, each inside
 the transaction it runs. This file comes after the prototypes it copies."

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
        send: sel To: ref Args: args = ( | p. dest. seq. e |
            dest: ref vat.
            seq: (nextSeqs at: dest IfAbsent: 0) + 1.
            e: vector copySize: 6.
            e at: 0 Put: dest.
            e at: 1 Put: seq.
            e at: 2 Put: ref key.
            e at: 3 Put: sel.
            e at: 4 Put: (encode: args).
            p: promise _Clone.
            p callbacks: list copyRemoveAll.
            e at: 5 Put: p.
            nextSeqs at: dest Put: seq.
            myId.
            outbox addLast: e.
            p ).

        "the codec's bytes of v, exporting what passes by reference"
        encode: v = ( | refs. keys |
            refs: _VatRefsIn: v.
            keys: vector copySize: refs size.
            0 upTo: refs size Do: [|:i| keys at: i Put: (exportKeyFor: (refs at: i))].
            _VatEncode: v Keys: keys ).
        decode: bytes = ( _VatDecode: bytes ).
        "o's export key, made (a swiss number) the first time o is passed"
        exportKeyFor: o = ( | h. bucket. k. pair |
            h: o _IdentityHash.
            bucket: exportKeys at: h IfAbsent: [
                exportKeys at: h Put: list copyRemoveAll.
                exportKeys at: h].
            bucket do: [|:x| ((x at: 0) _Eq: o) ifTrue: [^ x at: 1]].
            k: _VatRandomKey.
            pair: vector copySize: 2.
            pair at: 0 Put: o.
            pair at: 1 Put: k.
            bucket addLast: pair.
            exports at: k Put: o.
            k ).

        "delivery: the object a message to key goes to"
        targetAt: key = (
            (key = 'gateway') ifTrue: [^ lobby gateway].
            exports at: key IfAbsent: [error: 'no object exported under that key: ', key] ).
        "the target of a message to key, then its decoded arguments"
        prepare: key Args: bytes = ( | t. a. r |
            t: targetAt: key.
            a: decode: bytes.
            r: vector copySize: a size + 1.
            r at: 0 Put: t.
            0 upTo: a size Do: [|:i| r at: i + 1 Put: (a at: i)].
            r ).
        lastDeliveredFrom: sender = ( (delivered at: sender IfAbsent: [^ 0]) at: 0 ).
        storedReplyFrom: sender Seq: n = ( | r |
            r: delivered at: sender IfAbsent: [^ nil].
            (r at: 1) do: [|:reply| ((reply at: 0) = n) ifTrue: [^ reply]].
            nil ).
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
         drop the entry; false if there is none (an unknown or repeated reply)"
        acceptFrom: dest Seq: n Ok: ok Value: v = ( | k. e |
            k: 0.
            [k < outbox size] whileTrue: [
                e: outbox at: k.
                (((e at: 0) = dest) && [(e at: 1) = n]) ifTrue: [
                    outbox removeAt: k.
                    ok ifTrue: [(e at: 5) resolve: v] False: [(e at: 5) reject: v].
                    ^ true].
                k: k + 1].
            false ).
        queue: block With: v = ( | d |
            d: vector copySize: 2.
            d at: 0 Put: block.
            d at: 1 Put: v.
            due addLast: d.
            self ).
        hasDue = ( due notEmpty ).
        runDue = ( | d |
            d: due removeFirst.
            (d at: 0) value: (d at: 1).
            self ).
        dropDue = ( due removeFirst. self ).
    | ).
| ).
