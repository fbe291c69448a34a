"Psyche core world: strings.

 Literals are canonical and immutable; copyMutable gives a mutable copy,
 which at:Put: can change. Indexing is 0-based and at: answers a
 one-character string. = compares contents (false for a non-string),
 hash hashes them. printString quotes ('it\'s'); print and printLine
 write the bare characters."

traits string _AddSlots: ( |
    size = ( _ByteSize ).
    isEmpty = ( _ByteSize _IntEQ: 0 ).
    notEmpty = ( (_ByteSize _IntEQ: 0) not ).
    at: i = ( _StringAt: i ).
    at: i Put: s = ( _StringAt: i Put: s ).
    , s = ( _StringConcat: s ).

    = s = ( _StringEQ: s IfFail: [|:e. :p| false] ).
    hash = ( _StringHash ).
    < s = ( _StringLT: s ).
    > s = ( s _StringLT: self ).
    <= s = ( (s _StringLT: self) not ).
    >= s = ( (_StringLT: s) not ).

    copyMutable = ( _StringCopyMutable ).
    "the canonical (literal) string with the same contents"
    canonicalize = ( _StringCanonical ).
    asUppercase = ( _StringAsUppercase ).
    asLowercase = ( _StringAsLowercase ).
    "characters start to stop - 1"
    copyFrom: start UpTo: stop = ( _StringCopyFrom: start UpTo: stop ).
    includesSubstring: s = ( _StringIncludesSubstring: s ).
    asInteger = ( _StringAsInteger ).
    asString = ( self ).
    asByteVector = ( _StringAsByteVector ).

    "(the IfFail: is for traits string itself, which is not a string)"
    printString = ( _StringPrintStringIfFail: [|:e. :p| _ObjectPrintString] ).
    print = ( _Print. self ).
    printLine = ( _Print. '\n' _Print. self ).

    "each character, as a one-character string"
    do: block = ( | i. n |
        i: 0.
        n: _ByteSize.
        [ (i _IntLT: n) ifFalse: [^ self].
          block value: (self _StringAt: i).
          i: i _IntAdd: 1.
          _Restart ] value ).

    "the strings in parts (a vector or anything with size and at:), with
     the receiver between each two: ', ' join: ('a', 'b') is 'a, b'.
     Neighbours are concatenated pairwise, level by level, so the work is
     O(total size * log parts size), not quadratic."
    join: parts = ( | n. m. v. w |
        n: parts size.
        (n = 0) ifTrue: [^ ''].
        v: vector _VectorCopySize: n.
        0 upTo: n - 1 Do: [|:i| v _VectorAt: i Put: ((parts at: i) , self)].
        v _VectorAt: n - 1 Put: (parts at: n - 1).
        [n > 1] whileTrue: [
            m: (n + 1) / 2.
            w: vector _VectorCopySize: m.
            0 upTo: n / 2 Do: [|:i|
                w _VectorAt: i Put: ((v _VectorAt: i * 2) , (v _VectorAt: (i * 2) + 1))].
            n odd ifTrue: [w _VectorAt: m - 1 Put: (v _VectorAt: n - 1)].
            v: w.
            n: m].
        v _VectorAt: 0 ).
| ).
