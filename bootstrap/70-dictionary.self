"Psyche core world: dictionaries, hash tables from keys to values (see
 65-hashTable.self). Keys are compared with = and hash. do: runs over the
 values, keysDo: over the keys, keysAndValuesDo: over both; the order is
 the table's, unspecified.

 A dictionary's slots: parent* = traits dictionary, keyTable, valueTable,
 size, tagTable. clone shares the tables; copy does not. tagTable (a
 byteVector, one byte per place, or nil for none) lets the primitives pass
 entries that cannot match a string key without reading them: they write
 its tags, the methods below move a tag with its key and clear it with it,
 and a free place's tag is 0 (see prims/hashtables.go). A dictionary
 without its own tagTable finds the nil below and keeps no tags.

 Errors: at: and removeKey: of an absent key: 'key not found: 3' (the
 key's printString)."

traits dictionary _AddSlots: ( |
    collectionName = ( 'dictionary' ).
    tagTable = nil.
    initStorage: capacity = (
        keyTable: (vector _VectorCopySize: capacity FillingWith: emptyMarker).
        valueTable: (vector _VectorCopySize: capacity).
        (tagTable _Eq: nil) ifFalse: [
            tagTable: (byteVector _ByteVectorCopySize: capacity)].
        self ).
    copy = ( | c |
        c: (clone keyTable: keyTable copy) valueTable: valueTable copy.
        (tagTable _Eq: nil) ifFalse: [c tagTable: tagTable copy].
        c ).
    moveFrom: j To: i = (
        keyTable _VectorAt: i Put: (keyTable _VectorAt: j).
        valueTable _VectorAt: i Put: (valueTable _VectorAt: j).
        (tagTable _Eq: nil) ifFalse: [
            tagTable _ByteAt: i Put: (tagTable _ByteAt: j)].
        self ).
    clearAt: i = (
        keyTable _VectorAt: i Put: emptyMarker.
        valueTable _VectorAt: i Put: nil.
        (tagTable _Eq: nil) ifFalse: [tagTable _ByteAt: i Put: 0].
        self ).
    grow = ( | oldKeys. oldValues |
        oldKeys: keyTable.
        oldValues: valueTable.
        initStorage: (oldKeys _VectorSize _IntMul: 2).
        _HashTableAddKeys: oldKeys Values: oldValues IfFail: [|:e. :p|
            0 upTo: oldKeys _VectorSize Do: [| :j. k. i |
                k: oldKeys _VectorAt: j.
                (k _Eq: emptyMarker) ifFalse: [
                    i: freeSlotFor: k.
                    keyTable _VectorAt: i Put: k.
                    valueTable _VectorAt: i Put: (oldValues _VectorAt: j)]]].
        self ).

    "accessing"
    "at: and at:Put: are primitives for string and integer keys (see
     slotFor:); the methods after them are the Self code they stand in for"
    at: k = ( _DictionaryAt: k IfFail: [|:e. :p| probeAt: k] ).
    probeAt: k = ( | i |
        i: slotFor: k.
        ((keyTable _VectorAt: i) _Eq: emptyMarker) ifTrue: [
            ^ error: 'key not found: ', k _ObjectPrintString].
        valueTable _VectorAt: i ).
    at: k IfAbsent: block = ( | i |
        i: slotFor: k.
        ((keyTable _VectorAt: i) _Eq: emptyMarker) ifTrue: [^ block value].
        valueTable _VectorAt: i ).
    "answers the receiver"
    at: k Put: v = ( _DictionaryAt: k Put: v IfFail: [|:e. :p| probeAt: k Put: v] ).
    probeAt: k Put: v = ( | i |
        i: slotFor: k.
        ((keyTable _VectorAt: i) _Eq: emptyMarker) ifTrue: [
            isFull ifTrue: [
                grow.
                i: freeSlotFor: k].
            keyTable _VectorAt: i Put: k.
            size: size _IntAdd: 1].
        valueTable _VectorAt: i Put: v.
        self ).
    "the value at k; if k is absent, put block value there first"
    at: k IfAbsentPut: block = (
        at: k IfAbsent: [| v |
            v: block value.
            at: k Put: v.
            ^ v] ).
    "removing; answers the receiver"
    removeKey: k = ( removeKey: k IfAbsent: [error: 'key not found: ', k _ObjectPrintString] ).
    removeKey: k IfAbsent: block = ( | i |
        i: slotFor: k.
        ((keyTable _VectorAt: i) _Eq: emptyMarker) ifTrue: [^ block value].
        size: size _IntSub: 1.
        closeGapAt: i.
        self ).

    "iterating"
    do: block = ( | keys. capacity. i |
        keys: keyTable.
        capacity: keys _VectorSize.
        i: 0.
        [ (i _IntLT: capacity) ifFalse: [^ self].
          ((keys _VectorAt: i) _Eq: emptyMarker) ifFalse: [
              block value: (valueTable _VectorAt: i)].
          i: i _IntAdd: 1.
          _Restart ] value ).
    keysAndValuesDo: block = ( | keys. capacity. i. k |
        keys: keyTable.
        capacity: keys _VectorSize.
        i: 0.
        [ (i _IntLT: capacity) ifFalse: [^ self].
          k: keys _VectorAt: i.
          (k _Eq: emptyMarker) ifFalse: [
              block value: k With: (valueTable _VectorAt: i)].
          i: i _IntAdd: 1.
          _Restart ] value ).
    "vectors of the keys and of the values, in the same order"
    keys = ( | r. n |
        r: vector _VectorCopySize: size.
        n: 0.
        keysDo: [|:k|
            r _VectorAt: n Put: k.
            n: n + 1].
        r ).
    values = ( asVector ).

    "dictionary(1 -> 'a', 2 -> 'b')"
    printPiecesDo: emit = (
        keysAndValuesDo: [|:k. :v| emit value: k printString , ' -> ' , v printString] ).
| ).
