"Psyche core world: strings.

 Literals are canonical and immutable; copyMutable gives a mutable copy,
 which at:Put: can change. Indexing is 0-based and at: answers a
 one-character string. = compares contents (false for a non-string),
 hash hashes them. printString quotes ('it\'s'); print and printLine
 write the bare characters.

 Searching, splitting, trimming, reversing and padding use Self's names:
 findSubstring:IfPresent:IfAbsent: (the index of a substring), keyAt:
 (the index of a character), splitOn:, asTokensSeparatedByWhiteSpace,
 shrinkwrapped (white space trimmed), copyReversed, reverse (in place,
 mutable strings only), padOnLeft: / padOnRight:, copySize:FillingWith:.
 copyReversed and the pieces cut with copyFrom:UpTo: keep the
 receiver's kind (literal or mutable); strings made with , are
 immutable. White space is space, tab, line feed, carriage return,
 vertical tab and form feed."

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

    "searching. The index of the first occurrence of s at or after start
     goes to presentBlock; absentBlock runs when there is none."
    findSubstring: s StartingAt: start IfPresent: presentBlock IfAbsent: absentBlock = ( | i |
        i: _StringFindSubstring: s StartingAt: start IfFail: [|:e. :p|
            (e = 'notFoundError') ifTrue: [^ absentBlock value].
            ^ primitiveFailedError: e Name: p].
        presentBlock value: i ).
    findSubstring: s IfPresent: presentBlock IfAbsent: absentBlock = (
        findSubstring: s StartingAt: 0 IfPresent: presentBlock IfAbsent: absentBlock ).
    "the index of the first character = c (a one-character string)"
    keyAt: c IfAbsent: block = (
        ((c _ByteSizeIfFail: [|:e. :p| ^ block value]) = 1) ifFalse: [^ block value].
        findSubstring: c IfPresent: [|:i| i] IfAbsent: block ).
    keyAt: c = ( keyAt: c IfAbsent: [error: 'element not found: ', c _ObjectPrintString] ).

    "a list of the pieces between the occurrences of sep, empty ones
     included: 'a,,b' splitOn: ',' is list('a', '', 'b')"
    splitOn: sep = ( | r. i. j |
        (sep size = 0) ifTrue: [^ error: 'splitOn: needs a non-empty separator'].
        r: list copyRemoveAll.
        i: 0.
        [ j: _StringFindSubstring: sep StartingAt: i IfFail: [|:e. :p|
                (e = 'notFoundError') ifFalse: [^ primitiveFailedError: e Name: p].
                r add: (copyFrom: i UpTo: size).
                ^ r].
          r add: (copyFrom: i UpTo: j).
          i: j + sep size.
          _Restart ] value ).

    "a list of the non-empty runs of characters between white space"
    asTokensSeparatedByWhiteSpace = ( | r. start |
        r: list copyRemoveAll.
        start: nil.
        0 upTo: size Do: [|:i|
            (whiteSpace includesSubstring: (_StringAt: i))
                ifTrue: [start ifNotNil: [|:s| r add: (copyFrom: s UpTo: i). start: nil]]
                False: [start ifNil: [start: i]]].
        start ifNotNil: [|:s| r add: (copyFrom: s UpTo: size)].
        r ).

    "the characters that count as white space"
    whiteSpace = ' \t\n\r\x0b\x0c'.
    "the number of white space characters at the start / at the end"
    leadingWhiteSpace = (
        0 upTo: size Do: [|:i| (whiteSpace includesSubstring: (_StringAt: i)) ifFalse: [^ i]].
        size ).
    trailingWhiteSpace = (
        size - 1 downTo: 0 Do: [|:i| (whiteSpace includesSubstring: (_StringAt: i)) ifFalse: [^ size - 1 - i]].
        size ).
    "without white space at either end / at the start"
    shrinkwrapped = ( | start |
        start: leadingWhiteSpace.
        (start = size) ifTrue: [^ copyFrom: 0 UpTo: 0].
        copyFrom: start UpTo: size - trailingWhiteSpace ).
    leftShrinkwrapped = ( copyFrom: leadingWhiteSpace UpTo: size ).

    "the characters in the opposite order: a new string of the receiver's
     kind / the receiver itself, changed (a literal string cannot be)"
    copyReversed = ( _StringReversed ).
    reverse = ( | n. t |
        n: size.
        0 upTo: n / 2 Do: [|:i|
            t: at: i.
            at: i Put: (at: n - 1 - i).
            at: n - 1 - i Put: t].
        self ).

    "padded with spaces on the left / right to len characters; a string
     already that long is answered as it is"
    padOnLeft: len = (
        (len <= size) ifTrue: [^ self].
        ('' copySize: len - size FillingWith: ' ') , self ).
    padOnRight: len = (
        (len <= size) ifTrue: [^ self].
        copySize: len FillingWith: ' ' ).
    "the first len characters, then as many copies of filler (a
     one-character string) as it takes to make len"
    copySize: len FillingWith: filler = ( | fill |
        (len <= size) ifTrue: [^ copyFrom: 0 UpTo: len].
        (filler size = 1) ifFalse: [^ error: 'copySize:FillingWith: needs a one-character string, not ', filler _ObjectPrintString].
        "doubling: log(len) concatenations, not len"
        fill: filler.
        [fill size < (len - size)] whileTrue: [fill: fill , fill].
        self , (fill copyFrom: 0 UpTo: len - size) ).

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
