"Psyche core world, part 0: the behavior every object has.

 traits defaults is the top of every object's lookup (docs/vm.md), so
 the messages of the 'every object' row of LANGUAGE.md section 3 live
 here. traits clonable (its child) adds nothing of its own yet: it is
 the parent to give to objects meant to be copied."

traits defaults _AddSlots: ( |
    "Methods see the lobby's slots (nil, true, false, traits, and through
     globals the prototypes vector, list, ...) as in Self, where every
     object inherits from the lobby. Harmless if Go already links them."
    lobbyParent* = lobby.

    "identity and equality: = defaults to identity, hash to identityHash"
    == x = ( _Eq: x ).
    !== x = ( (_Eq: x) not ).
    = x = ( _Eq: x ).
    != x = ( (self = x) not ).
    identityHash = ( _IdentityHash ).
    hash = ( _IdentityHash ).

    "copying: clone is the primitive shallow copy; copy is what a user
     calls, and collections redefine it to copy their storage too"
    clone = ( _Clone ).
    copy = ( clone ).

    "printing"
    printString = ( _ObjectPrintString ).
    print = ( printString _Print. self ).
    printLine = ( printString _Print. '\n' _Print. self ).

    "printing a collection (docs/vm.md, Print forms): prefix(p1, p2, ...),
     where doBlock sends value: to its argument with the text of each
     element in turn. Cycle-safe: the receiver met again inside itself
     prints as prefix(...). Bounded: once the text passes _PrintListLimit
     characters the rest of the elements are counted, not printed:
     prefix(p1, ..., … (N more))."
    printCollection: prefix Count: n Do: doBlock = ( | pieces. len |
        _PrintingIncludes ifTrue: [^ prefix , '(' , _PrintCycleMark , ')'].
        pieces: list copyRemoveAll.
        len: prefix size.
        [_PrintingAdd.
         doBlock value: [|:piece|
            (len < _PrintListLimit) ifFalse: [
                ^ prefix _PrintList: pieces asVector Count: n].
            pieces addLast: piece.
            len: len + piece size + 2]
        ] onReturn: [_PrintingRemove].
        prefix _PrintList: pieces asVector Count: n ).

    "nil tests; traits nil redefines all of them"
    isNil = false.
    notNil = true.
    ifNil: nilBlock = ( self ).
    ifNotNil: notNilBlock = ( notNilBlock value: self ).
    ifNil: nilBlock IfNotNil: notNilBlock = ( notNilBlock value: self ).
    ifNotNil: notNilBlock IfNil: nilBlock = ( notNilBlock value: self ).

    "an object is its own value, so a plain object can stand where a
     block is expected (true && false, x ifTrue: 1 False: 2)"
    value = ( self ).

    "errors"
    error: message = ( _Error: message IfFail: [|:e. :p| _Error: message printString] ).
    primitiveFailedError: errorName Name: primitiveName = (
        _Error: ((('primitive ' _StringConcat: primitiveName IfFail: [|:e. :p| '?'])
                    _StringConcat: ' failed: ')
                    _StringConcat: errorName IfFail: [|:e. :p| '?']) ).

    "reflection"
    reflect: anObject = ( anObject _Mirror ).
    perform: selector = ( _Perform: selector ).
    perform: selector With: a = ( _Perform: selector With: a ).
    perform: selector With: a With: b = ( _Perform: selector With: a With: b ).
| ).
