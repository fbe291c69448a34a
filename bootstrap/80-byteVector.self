"Psyche core world: byteVectors, fixed-size vectors of bytes (0..255).

 byteVector copySize: n answers n bytes: the receiver's first bytes,
 then zeros (so the empty prototype gives n zeros). copy is the
 primitive clone, which copies the bytes. = compares the bytes (a string
 is never = to a byteVector). asString and 'abc' asByteVector convert."

traits byteVector _AddSlots: ( |
    copySize: n = ( | r |
        r: _ByteVectorCopySize: n.
        0 upTo: (n min: _ByteSize) Do: [|:i| r _ByteAt: i Put: (self _ByteAt: i)].
        r ).
    size = ( _ByteSize ).
    isEmpty = ( _ByteSize _IntEQ: 0 ).
    notEmpty = ( (_ByteSize _IntEQ: 0) not ).
    at: i = ( _ByteAt: i ).
    at: i Put: b = ( _ByteAt: i Put: b ).
    asString = ( _ByteVectorAsString ).
    asByteVector = ( self ).

    do: block = ( | i. n |
        i: 0.
        n: _ByteSize.
        [ (i _IntLT: n) ifFalse: [^ self].
          block value: (self _ByteAt: i).
          i: i _IntAdd: 1.
          _Restart ] value ).

    = b = ( | n |
        (_Eq: b) ifTrue: [^ true].
        "(a string has bytes too, but is not a byteVector)"
        b _ByteVectorAsStringIfFail: [|:e. :p| ^ false].
        n: b _ByteSize.
        (n _IntEQ: _ByteSize) ifFalse: [^ false].
        0 upTo: n Do: [|:i|
            ((self _ByteAt: i) _IntEQ: (b _ByteAt: i)) ifFalse: [^ false]].
        true ).
    hash = ( | h |
        h: _ByteSize.
        0 upTo: (_ByteSize min: 16) Do: [|:i|
            h: ((h _IntMul: 31) _IntAdd: (self _ByteAt: i)) _IntMod: 1000003].
        h ).

    "byteVector(1, 2, 3), cut short like every collection's (a primitive:
     a 50 MB byteVector prints in the time of its first few thousand bytes)"
    printString = ( _BytePrintStringIfFail: [|:e. :p| _ObjectPrintString] ).
| ).
