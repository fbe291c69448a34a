"Psyche core world: traits hashTable, the hash table under sets and
 dictionaries: open addressing with linear probing in keyTable, a vector
 whose size (the capacity) starts at 8 and doubles when an insertion
 would fill more than 2/3 of it. Free places hold emptyMarker, a private
 object, so any object (nil too) can be a key. Removal closes the gap by
 moving later entries of the probe run back (no tombstones), so lookups
 stay short. Keys are compared with = (after a quick identity check) and
 placed by hash: objects that are = must have equal hashes.

 A set or dictionary has the slots keyTable and size (a dictionary also
 valueTable) and defines initStorage:, moveFrom:To:, clearAt: and grow.
 The primitives _HashTableSlotFor:, _DictionaryAt:, _DictionaryAt:Put:
 and _HashTableAddKeys:Values: (docs/vm.md) do the same work in Go for
 string and integer keys, reading those slots and emptyMarker; a table
 must keep its slots as its own data slots for them to apply."

traits hashTable _AddSlots: ( |
    emptyMarker = ( | | ).
    initialCapacity = 8.

    removeAll = (
        initStorage: initialCapacity.
        size: 0.
        self ).
    copyRemoveAll = ( clone removeAll ).

    "the place where k's probe run starts, 0 <= i < capacity"
    homeOf: k In: capacity = (
        "(a hash may be negative; % keeps the receiver's sign)"
        ((k hash _IntMod: capacity) _IntAdd: capacity) _IntMod: capacity ).
    "the index of k in keyTable or, if k is absent, of the free place
     where it would go. The primitive does probeFor:'s work in Go when k is
     a string or an integer whose hash and = are these core methods, and
     fails otherwise."
    slotFor: k = ( _HashTableSlotFor: k IfFail: [|:e. :p| probeFor: k] ).
    probeFor: k = ( | keys. capacity. i. x |
        keys: keyTable.
        capacity: keys _VectorSize.
        i: ((k hash _IntMod: capacity) _IntAdd: capacity) _IntMod: capacity.
        [ x: keys _VectorAt: i.
          (x _Eq: emptyMarker) ifTrue: [^ i].
          (x _Eq: k) ifTrue: [^ i].
          (k = x) ifTrue: [^ i].
          i: i _IntAdd: 1.
          (i _IntEQ: capacity) ifTrue: [i: 0].
          _Restart ] value ).
    "the free place for k, known to be absent (used when growing)"
    freeSlotFor: k = ( | keys. capacity. i |
        keys: keyTable.
        capacity: keys _VectorSize.
        i: homeOf: k In: capacity.
        [ ((keys _VectorAt: i) _Eq: emptyMarker) ifTrue: [^ i].
          i: i _IntAdd: 1.
          (i _IntEQ: capacity) ifTrue: [i: 0].
          _Restart ] value ).
    isFreeAt: i = ( (keyTable _VectorAt: i) _Eq: emptyMarker ).
    "would one more key make the table more than 2/3 full?"
    isFull = ( ((size _IntAdd: 1) _IntMul: 3) _IntGT: (keyTable _VectorSize _IntMul: 2) ).
    includesKey: k = ( (isFreeAt: (slotFor: k)) not ).

    "entry gap was just removed: move back the entries after it that
     cannot be found any more, then free the last place left empty.
     An entry at j whose home is h stays if h lies cyclically in
     (gap, j]; otherwise it moves into the gap, which moves to j."
    closeGapAt: gap = ( | keys. capacity. i. j. x. h. stays |
        keys: keyTable.
        capacity: keys _VectorSize.
        i: gap.
        j: gap.
        [ j: j _IntAdd: 1.
          (j _IntEQ: capacity) ifTrue: [j: 0].
          x: keys _VectorAt: j.
          (x _Eq: emptyMarker) ifTrue: [
              clearAt: i.
              ^ self].
          h: homeOf: x In: capacity.
          stays: ((i _IntLE: j)
              ifTrue: [(i _IntLT: h) && [h _IntLE: j]]
              False: [(i _IntLT: h) || [h _IntLE: j]]).
          stays ifFalse: [
              moveFrom: j To: i.
              i: j].
          _Restart ] value ).

    "each key (for a set: each element)"
    keysDo: block = ( | keys. capacity. i. x |
        keys: keyTable.
        capacity: keys _VectorSize.
        i: 0.
        [ (i _IntLT: capacity) ifFalse: [^ self].
          x: keys _VectorAt: i.
          (x _Eq: emptyMarker) ifFalse: [block value: x].
          i: i _IntAdd: 1.
          _Restart ] value ).
| ).
