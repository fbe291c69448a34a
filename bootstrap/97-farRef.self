"Psyche core world: far references and promises (docs/vats.md). A far
 reference's own slots are vat and key; traits farRef has only the
 undefinedSelector hook, and its parent the few messages answered here,
 so every other message is an eventual send: it goes to the outbox and
 answers a promise. Methods of a far reference must not send to self
 implicitly what it does not define (that too would be an eventual send):
 hence farRefVats, the vats object, held in a constant slot. This file
 comes after 96-vats.self, whose vats that slot names."

traits farRef _AddSlots: ( |
    undefinedSelector: sel Type: t Delegatee: d MethodHolder: h Arguments: args = (
        farRefVats send: sel To: self Args: args ).
| ).

traits farRef parent _AddSlots: ( |
    farRefVats = vats.
    isFarRef = true.
    printString = ( 'a far reference to ', key, ' in ', vat ).
    printLine = ( printString _Print. '\n' _Print. self ).
    == x = ( _VatSameRef: x ).
    = x = ( _VatSameRef: x ).
    hash = ( key hash ).
| ).

traits promise _AddSlots: ( |
    isPending = ( state = 'pending' ).
    isFulfilled = ( state = 'fulfilled' ).
    isRejected = ( state = 'rejected' ).
    "blk value: v once the promise is fulfilled with v (at once if it is)"
    whenResolved: blk = ( when: 'fulfilled' Do: blk ).
    "blk value: text once the promise is rejected with the error's text"
    whenRejected: blk = ( when: 'rejected' Do: blk ).
    when: s Do: blk = ( | c |
        (state = s) ifTrue: [blk value: value. ^ self].
        isPending ifTrue: [
            c: vector copySize: 2.
            c at: 0 Put: s.
            c at: 1 Put: blk.
            callbacks addLast: c].
        self ).
    resolve: v = ( settle: 'fulfilled' With: v ).
    reject: text = ( settle: 'rejected' With: text ).
    "the callbacks waiting for s run after this transaction, in their own"
    settle: s With: v = (
        isPending ifFalse: [^ self].
        state: s.
        value: v.
        callbacks do: [|:c| ((c at: 0) = s) ifTrue: [vats queue: (c at: 1) With: v]].
        callbacks: list copyRemoveAll.
        self ).
    printString = (
        isPending ifTrue: ['a promise (pending)'] False: ['a promise (', state, ': ', value printString, ')'] ).
| ).
