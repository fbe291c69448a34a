"Psyche core world: vectors (fixed size, 0-based, any objects).

 vector copySize: n answers a new vector of n nils (copySize: keeps the
 receiver's first elements, as _VectorCopySize: does). copy copies the
 elements (a vector's storage is the vector itself). = compares sizes and
 elements, like strings; hash looks at the size and the first elements.

 The element loops restart a block with _Restart: constant stack."

traits vector _AddSlots: ( |
    copySize: n = ( _VectorCopySize: n ).
    copySize: n FillingWith: x = ( _VectorCopySize: n FillingWith: x ).
    size = ( _VectorSize ).
    isEmpty = ( _VectorSize _IntEQ: 0 ).
    notEmpty = ( (_VectorSize _IntEQ: 0) not ).
    at: i = ( _VectorAt: i ).
    at: i Put: x = ( _VectorAt: i Put: x ).
    first = (
        isEmpty ifTrue: [^ error: 'vector is empty'].
        _VectorAt: 0 ).
    last = (
        isEmpty ifTrue: [^ error: 'vector is empty'].
        _VectorAt: (_VectorSize _IntSub: 1) ).

    "iterating"
    "(four elements per test while four remain, as in integer to:Do:)"
    do: block = ( | i. n. n4 |
        i: 0.
        n: _VectorSize.
        n4: n _IntSub: 3.
        [ (i _IntLT: n4) ifFalse: [
              [ (i _IntLT: n) ifFalse: [^ self].
                block value: (self _VectorAt: i).
                i: i _IntAdd: 1.
                _Restart ] value].
          block value: (self _VectorAt: i).
          block value: (self _VectorAt: (i _IntAdd: 1)).
          block value: (self _VectorAt: (i _IntAdd: 2)).
          block value: (self _VectorAt: (i _IntAdd: 3)).
          i: i _IntAdd: 4.
          _Restart ] value ).
    reverseDo: block = ( | i |
        i: _VectorSize _IntSub: 1.
        [ (i _IntGE: 0) ifFalse: [^ self].
          block value: (self _VectorAt: i).
          i: i _IntSub: 1.
          _Restart ] value ).
    "block gets each element and its index"
    withIndexDo: block = ( | i. n |
        i: 0.
        n: _VectorSize.
        [ (i _IntLT: n) ifFalse: [^ self].
          block value: (self _VectorAt: i) With: i.
          i: i _IntAdd: 1.
          _Restart ] value ).
    "block gets the elements of the receiver and of other at each index"
    with: other Do: block = (
        (other size = _VectorSize) ifFalse: [
            ^ error: 'with:Do: needs collections of the same size'].
        0 upTo: _VectorSize Do: [|:i|
            block value: (self _VectorAt: i) With: (other at: i)].
        self ).
    inject: initial Into: block = ( | acc |
        acc: initial.
        do: [|:e| acc: (block value: acc With: e)].
        acc ).
    includes: x = (
        do: [|:e| (x = e) ifTrue: [^ true]].
        false ).
    detect: block IfNone: noneBlock = (
        do: [|:e| (block value: e) ifTrue: [^ e]].
        noneBlock value ).
    anySatisfy: block = (
        do: [|:e| (block value: e) ifTrue: [^ true]].
        false ).
    allSatisfy: block = (
        do: [|:e| (block value: e) ifFalse: [^ false]].
        true ).

    "new vectors"
    mapBy: block = ( | n. r |
        n: _VectorSize.
        r: vector _VectorCopySize: n.
        0 upTo: n Do: [|:i| r _VectorAt: i Put: (block value: (self _VectorAt: i))].
        r ).
    copyFilteredBy: block = ( | r. k |
        r: vector _VectorCopySize: _VectorSize.
        k: 0.
        do: [|:e| (block value: e) ifTrue: [
                r _VectorAt: k Put: e.
                k: k _IntAdd: 1]].
        r copyFrom: 0 UpTo: k ).
    "elements start to stop - 1"
    copyFrom: start UpTo: stop = ( | r |
        r: vector _VectorCopySize: stop - start.
        start upTo: stop Do: [|:i| r _VectorAt: i - start Put: (self _VectorAt: i)].
        r ).
    copyAddLast: x = ( | n |
        n: _VectorSize.
        (_VectorCopySize: (n _IntAdd: 1)) _VectorAt: n Put: x ).
    copyAddFirst: x = ( | n. r |
        n: _VectorSize.
        r: vector _VectorCopySize: (n _IntAdd: 1).
        r _VectorAt: 0 Put: x.
        0 upTo: n Do: [|:i| r _VectorAt: (i _IntAdd: 1) Put: (self _VectorAt: i)].
        r ).
    "the elements of the receiver followed by those of v"
    , v = ( | n. r |
        n: _VectorSize.
        r: _VectorCopySize: n + v size.
        0 upTo: v size Do: [|:i| r _VectorAt: n + i Put: (v at: i)].
        r ).
    asVector = ( self ).
    asList = ( | r |
        r: list copyRemoveAll.
        do: [|:e| r addLast: e].
        r ).

    "sorting, stable, O(n log n) (a bottom-up merge sort). block answers
     true when its first argument must come before its second:
     [|:a. :b| a < b] sorts in increasing order. sortBy: sorts the
     receiver in place and answers it; copySortBy: leaves it alone and
     answers a sorted copy."
    sortBy: block = ( | n. src. dst. tmp. width. lo. mid. hi |
        n: _VectorSize.
        (n < 2) ifTrue: [^ self].
        src: self.
        dst: vector _VectorCopySize: n.
        width: 1.
        [width < n] whileTrue: [
            lo: 0.
            [lo < n] whileTrue: [
                mid: (lo + width) min: n.
                hi: (lo + (2 * width)) min: n.
                merge: src Into: dst From: lo Mid: mid To: hi By: block.
                lo: hi].
            tmp: src.
            src: dst.
            dst: tmp.
            width: 2 * width].
        (src _Eq: self) ifFalse: [
            0 upTo: n Do: [|:i| self _VectorAt: i Put: (src _VectorAt: i)]].
        self ).
    copySortBy: block = ( copy sortBy: block ).
    "merge the sorted runs src[lo, mid) and src[mid, hi) into dst[lo, hi).
     An element of the second run goes first only if it must (block
     answers true), so equal elements keep their order."
    merge: src Into: dst From: lo Mid: mid To: hi By: block = ( | i. j. k. a. b |
        i: lo.
        j: mid.
        k: lo.
        [(i < mid) && [j < hi]] whileTrue: [
            a: src _VectorAt: i.
            b: src _VectorAt: j.
            (block value: b With: a)
                ifTrue: [
                    dst _VectorAt: k Put: b.
                    j: j + 1]
                False: [
                    dst _VectorAt: k Put: a.
                    i: i + 1].
            k: k + 1].
        [i < mid] whileTrue: [
            dst _VectorAt: k Put: (src _VectorAt: i).
            i: i + 1.
            k: k + 1].
        [j < hi] whileTrue: [
            dst _VectorAt: k Put: (src _VectorAt: j).
            j: j + 1.
            k: k + 1].
        self ).

    "comparing"
    = v = ( | n |
        (_Eq: v) ifTrue: [^ true].
        n: (v _VectorSizeIfFail: [|:e. :p| ^ false]).
        (n _IntEQ: _VectorSize) ifFalse: [^ false].
        0 upTo: n Do: [|:i|
            ((self _VectorAt: i) = (v _VectorAt: i)) ifFalse: [^ false]].
        true ).
    hash = ( | h |
        h: _VectorSize.
        0 upTo: (_VectorSize min: 4) Do: [|:i|
            h: ((h * 31) + (self _VectorAt: i) hash) % 1000003].
        h ).

    "(1, 2, 3); empty (). (The type test is for traits vector itself.)"
    printString = (
        _VectorSizeIfFail: [|:e. :p| ^ _ObjectPrintString].
        printCollection: '' Count: _VectorSize Do: [|:emit| do: [|:e| emit value: e printString]] ).
| ).
