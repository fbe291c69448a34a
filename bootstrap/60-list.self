"Psyche core world: lists, double-ended queues. The elements are kept in
 a circular vector, items: element k is at items at: (start + k) modulo
 items size; the vector doubles when full. add:, addFirst:, addLast:,
 removeFirst and removeLast are O(1) (amortized), remove: is O(size).

 A list's slots: parent* = traits list, items, start, size (see
 95-prototypes.self). clone shares items with the original; copy does not.

 Errors: removeFirst, removeLast, first and last of an empty list:
 'list is empty'; remove: of an absent element: 'element not found: 3';
 at: out of range: 'index out of bounds: 7'."

traits list _AddSlots: ( |
    collectionName = ( 'list' ).
    removeAll = (
        items: (vector _VectorCopySize: 8).
        start: 0.
        size: 0.
        self ).
    copyRemoveAll = ( clone removeAll ).
    copy = ( clone items: items copy ).

    "where element k is in items"
    indexFor: k = ( | p |
        p: start _IntAdd: k.
        (p _IntGE: items _VectorSize) ifTrue: [p: p _IntSub: items _VectorSize].
        p ).
    grow = ( | bigger |
        bigger: vector _VectorCopySize: ((items _VectorSize _IntMul: 2) max: 8).
        0 upTo: size Do: [|:k|
            bigger _VectorAt: k Put: (items _VectorAt: (indexFor: k))].
        items: bigger.
        start: 0.
        self ).
    checkIndex: k = (
        ((0 <= k) && [k < size]) ifFalse: [
            ^ error: 'index out of bounds: ', k _ObjectPrintString].
        self ).

    "adding (answers the receiver)"
    addLast: x = (
        (size _IntEQ: items _VectorSize) ifTrue: [grow].
        items _VectorAt: (indexFor: size) Put: x.
        size: size _IntAdd: 1.
        self ).
    add: x = ( addLast: x ).
    addFirst: x = (
        (size _IntEQ: items _VectorSize) ifTrue: [grow].
        start: ((start _IntEQ: 0)
            ifTrue: [items _VectorSize _IntSub: 1]
            False: [start _IntSub: 1]).
        items _VectorAt: start Put: x.
        size: size _IntAdd: 1.
        self ).
    addAll: aCollection = (
        aCollection do: [|:e| addLast: e].
        self ).

    "removing (removeFirst and removeLast answer the element)"
    removeFirst = ( | x |
        (size _IntEQ: 0) ifTrue: [^ error: 'list is empty'].
        x: items _VectorAt: start.
        items _VectorAt: start Put: nil.
        start: start _IntAdd: 1.
        (start _IntEQ: items _VectorSize) ifTrue: [start: 0].
        size: size _IntSub: 1.
        x ).
    removeLast = ( | p. x |
        (size _IntEQ: 0) ifTrue: [^ error: 'list is empty'].
        p: (indexFor: (size _IntSub: 1)).
        x: items _VectorAt: p.
        items _VectorAt: p Put: nil.
        size: size _IntSub: 1.
        x ).
    "remove the first element = x; answers the receiver"
    remove: x = ( remove: x IfAbsent: [error: 'element not found: ', x _ObjectPrintString] ).
    remove: x IfAbsent: block = ( | k |
        k: 0.
        [ (k _IntLT: size) ifFalse: [^ block value].
          (x = (items _VectorAt: (indexFor: k))) ifTrue: [
              removeAt: k.
              ^ self].
          k: k _IntAdd: 1.
          _Restart ] value ).
    "remove element k, moving the later ones down; answers it"
    removeAt: k = ( | x |
        checkIndex: k.
        (k = 0) ifTrue: [^ removeFirst].
        x: items _VectorAt: (indexFor: k).
        k upTo: (size _IntSub: 1) Do: [|:j|
            items _VectorAt: (indexFor: j) Put: (items _VectorAt: (indexFor: (j _IntAdd: 1)))].
        items _VectorAt: (indexFor: (size _IntSub: 1)) Put: nil.
        size: size _IntSub: 1.
        x ).

    "accessing"
    first = (
        (size _IntEQ: 0) ifTrue: [^ error: 'list is empty'].
        items _VectorAt: start ).
    last = (
        (size _IntEQ: 0) ifTrue: [^ error: 'list is empty'].
        items _VectorAt: (indexFor: (size _IntSub: 1)) ).
    at: k = (
        checkIndex: k.
        items _VectorAt: (indexFor: k) ).
    at: k Put: x = (
        checkIndex: k.
        items _VectorAt: (indexFor: k) Put: x.
        self ).

    "iterating, first to last (and last to first)"
    do: block = ( | k. p |
        k: 0.
        p: start.
        [ (k _IntLT: size) ifFalse: [^ self].
          block value: (items _VectorAt: p).
          k: k _IntAdd: 1.
          p: p _IntAdd: 1.
          (p _IntEQ: items _VectorSize) ifTrue: [p: 0].
          _Restart ] value ).
    reverseDo: block = ( | k |
        k: size _IntSub: 1.
        [ (k _IntGE: 0) ifFalse: [^ self].
          block value: (items _VectorAt: (indexFor: k)).
          k: k _IntSub: 1.
          _Restart ] value ).

    "new lists"
    mapBy: block = ( | r |
        r: copyRemoveAll.
        do: [|:e| r addLast: (block value: e)].
        r ).
    copyFilteredBy: block = ( | r |
        r: copyRemoveAll.
        do: [|:e| (block value: e) ifTrue: [r addLast: e]].
        r ).

    "sorting, as for vectors: sortBy: sorts the receiver in place"
    sortBy: block = ( | v |
        v: asVector sortBy: block.
        0 upTo: size Do: [|:k| items _VectorAt: (indexFor: k) Put: (v _VectorAt: k)].
        self ).
    copySortBy: block = ( copy sortBy: block ).
| ).
