"Psyche core world: floats (IEEE 754 doubles).

 The arithmetic primitives take an integer argument as well. The
 comparisons are written to work whether or not the float comparison
 primitives do: an integer argument that makes one fail is converted
 with asFloat and compared again; any other failure is the primitive's
 error. = answers false for a non-number.

 An integral float is = to the equal integer (3.0 = 3), so it hashes
 like that integer: dictionaries and sets treat them as one key."

traits float _AddSlots: ( |
    + n = ( _FloatAdd: n ).
    - n = ( _FloatSub: n ).
    * n = ( _FloatMul: n ).
    / n = ( _FloatDiv: n ).
    "the remainder of a truncated division, with the receiver's sign;
     nan when the quotient is not finite (x % 0, inf % x), as C's fmod"
    % n = ( | q. t |
        q: self / n.
        ((q _FloatSub: q) _FloatEQ: 0.0) ifFalse: [^ 0.0 _FloatDiv: 0.0].
        t: q _FloatTruncate.
        (t = 0) ifTrue: [^ self].
        self - (n * t) ).

    < n = ( _FloatLT: n IfFail: [|:e. :p|
                _FloatLT: (n _IntAsFloatIfFail: [|:e2. :p2| ^ primitiveFailedError: e Name: p])] ).
    <= n = ( _FloatLE: n IfFail: [|:e. :p|
                _FloatLE: (n _IntAsFloatIfFail: [|:e2. :p2| ^ primitiveFailedError: e Name: p])] ).
    > n = ( _FloatGT: n IfFail: [|:e. :p|
                _FloatGT: (n _IntAsFloatIfFail: [|:e2. :p2| ^ primitiveFailedError: e Name: p])] ).
    >= n = ( _FloatGE: n IfFail: [|:e. :p|
                _FloatGE: (n _IntAsFloatIfFail: [|:e2. :p2| ^ primitiveFailedError: e Name: p])] ).
    = n = ( _FloatEQ: n IfFail: [|:e. :p|
                _FloatEQ: (n _IntAsFloatIfFail: [|:e2. :p2| ^ false])] ).
    != n = ( (self = n) not ).
    hash = ( | t |
        "inf and nan: x - x is not 0"
        ((_FloatSub: self) _FloatEQ: 0.0) ifFalse: [^ _FloatHash].
        t: _FloatTruncate.
        (_FloatEQ: t _IntAsFloat)
            ifTrue: [t _IntHash]
            False: [_FloatHash] ).
    between: low And: high = ( (low <= self) && [self <= high] ).
    max: n = ( (self < n) ifTrue: [n] False: [self] ).
    min: n = ( (n < self) ifTrue: [n] False: [self] ).

    "floats are values: copying answers the receiver"
    clone = ( self ).
    copy = ( self ).

    negate = ( _FloatMul: -1 ).
    abs = ( (self < 0) ifTrue: [negate] False: [self] ).

    "to integers: floor, ceil, round (half away from zero), truncate"
    floor = ( _FloatFloor ).
    ceil = ( _FloatCeil ).
    round = ( _FloatRound ).
    truncate = ( _FloatTruncate ).
    asInteger = ( _FloatTruncate ).
    asFloat = ( self ).
    sqrt = ( _FloatSqrt ).

    "(the IfFail: is for traits float itself, which is not a float)"
    printString = ( _FloatPrintStringIfFail: [|:e. :p| _ObjectPrintString] ).
    "with exactly p decimals (0 to 100), rounded: 3.14159 printStringPrecision: 2 is '3.14'"
    printStringPrecision: p = ( _FloatPrintStringPrecision: p ).
    asString = ( _FloatPrintString ).
| ).
