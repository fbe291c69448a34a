"Psyche core world: sets, hash tables of elements (see 65-hashTable.self).
 Elements are compared with = and hash; adding an element that is
 already there (=) keeps the old one. The order of do: is unspecified.

 A set's slots: parent* = traits set, keyTable, size. clone shares the
 table; copy does not.

 Errors: remove: of an absent element: 'element not found: 3'."

traits set _AddSlots: ( |
    collectionName = ( 'set' ).
    initStorage: capacity = (
        keyTable: (vector _VectorCopySize: capacity FillingWith: emptyMarker).
        self ).
    copy = ( clone keyTable: keyTable copy ).
    moveFrom: j To: i = (
        keyTable _VectorAt: i Put: (keyTable _VectorAt: j).
        self ).
    clearAt: i = (
        keyTable _VectorAt: i Put: emptyMarker.
        self ).
    grow = ( | old |
        old: keyTable.
        initStorage: (old _VectorSize _IntMul: 2).
        _HashTableAddKeys: old Values: nil IfFail: [|:e. :p|
            0 upTo: old _VectorSize Do: [| :j. x |
                x: old _VectorAt: j.
                (x _Eq: emptyMarker) ifFalse: [
                    keyTable _VectorAt: (freeSlotFor: x) Put: x]]].
        self ).

    "adding and removing answer the receiver"
    add: x = ( | i |
        i: slotFor: x.
        ((keyTable _VectorAt: i) _Eq: emptyMarker) ifTrue: [
            isFull ifTrue: [
                grow.
                i: freeSlotFor: x].
            keyTable _VectorAt: i Put: x.
            size: size _IntAdd: 1].
        self ).
    addAll: aCollection = (
        aCollection do: [|:e| add: e].
        self ).
    remove: x = ( remove: x IfAbsent: [error: 'element not found: ', x _ObjectPrintString] ).
    remove: x IfAbsent: block = ( | i |
        i: slotFor: x.
        ((keyTable _VectorAt: i) _Eq: emptyMarker) ifTrue: [^ block value].
        size: size _IntSub: 1.
        closeGapAt: i.
        self ).

    includes: x = ( includesKey: x ).
    do: block = ( keysDo: block ).

    "new sets"
    mapBy: block = ( | r |
        r: copyRemoveAll.
        do: [|:e| r add: (block value: e)].
        r ).
    copyFilteredBy: block = ( | r |
        r: copyRemoveAll.
        do: [|:e| (block value: e) ifTrue: [r add: e]].
        r ).
| ).
