"Psyche core world: integers (small and big alike: the _Int primitives
 take both and overflow into big integers by themselves).

 Mixed arithmetic: when the argument is a float the primitive fails, and
 the receiver, converted to a float, does the work (3 + 0.5 = 3.5,
 3 < 3.5). Any other failure is the integer primitive's own error, as if
 there were no IfFail: (3 + nil: primitive _IntAdd: failed: badTypeError;
 1 / 0: primitive _IntDiv: failed: divisionByZeroError). The fallbacks
 test the argument with primitives only, so they work for any argument,
 even an object without parents.

 Every IfFail: block takes the two arguments a failing primitive passes
 (error name, primitive name).

 Loops (to:Do: and friends) restart a block with _Restart, so they run in
 constant stack however many times they go round."

traits integer _AddSlots: ( |
    "arithmetic. A float argument makes the primitive fail; then the float
     primitive does the work. When it fails too (the argument is not a
     number), the integer primitive's failure is reported."
    + n = ( _IntAdd: n IfFail: [|:e. :p|
                asFloat _FloatAdd: n IfFail: [|:e2. :p2| primitiveFailedError: e Name: p]] ).
    - n = ( _IntSub: n IfFail: [|:e. :p|
                asFloat _FloatSub: n IfFail: [|:e2. :p2| primitiveFailedError: e Name: p]] ).
    * n = ( _IntMul: n IfFail: [|:e. :p|
                asFloat _FloatMul: n IfFail: [|:e2. :p2| primitiveFailedError: e Name: p]] ).
    "truncated toward zero; by 0 an error, also by 0.0"
    / n = ( _IntDiv: n IfFail: [|:e. :p|
                (e = 'badTypeError') ifFalse: [^ primitiveFailedError: e Name: p].
                asFloat _FloatDiv: n IfFail: [|:e2. :p2| primitiveFailedError: e Name: p]] ).
    "the remainder of /, with the receiver's sign"
    % n = ( _IntMod: n IfFail: [|:e. :p|
                (e = 'badTypeError') ifFalse: [^ primitiveFailedError: e Name: p].
                "is n a float?"
                n _FloatEQ: 0.0 IfFail: [|:e2. :p2| ^ primitiveFailedError: e Name: p].
                asFloat % n] ).

    "comparing; = and != answer false / true for anything but a number"
    < n = ( _IntLT: n IfFail: [|:e. :p|
                asFloat _FloatLT: n IfFail: [|:e2. :p2| primitiveFailedError: e Name: p]] ).
    <= n = ( _IntLE: n IfFail: [|:e. :p|
                asFloat _FloatLE: n IfFail: [|:e2. :p2| primitiveFailedError: e Name: p]] ).
    > n = ( _IntGT: n IfFail: [|:e. :p|
                asFloat _FloatGT: n IfFail: [|:e2. :p2| primitiveFailedError: e Name: p]] ).
    >= n = ( _IntGE: n IfFail: [|:e. :p|
                asFloat _FloatGE: n IfFail: [|:e2. :p2| primitiveFailedError: e Name: p]] ).
    = n = ( _IntEQ: n IfFail: [|:e. :p|
                asFloat _FloatEQ: n IfFail: [|:e2. :p2| false]] ).
    != n = ( _IntNE: n IfFail: [|:e. :p|
                asFloat _FloatNE: n IfFail: [|:e2. :p2| true]] ).
    hash = ( _IntHash ).
    between: low And: high = ( (low <= self) && [self <= high] ).
    max: n = ( (self < n) ifTrue: [n] False: [self] ).
    min: n = ( (n < self) ifTrue: [n] False: [self] ).

    "time arithmetic, Self's double dispatch: aTime + 1000 and aTime - 1000
     send these to the integer, a number of milliseconds"
    addTime: t = ( t addMsec: self ).
    subtractTime: t = ( t subtractMsec: self ).

    "integers are values: copying answers the receiver"
    clone = ( self ).
    copy = ( self ).

    negate = ( 0 _IntSub: self ).
    abs = ( (_IntLT: 0) ifTrue: [0 _IntSub: self] False: [self] ).
    succ = ( _IntAdd: 1 ).
    pred = ( _IntSub: 1 ).
    even = ( (_IntMod: 2) _IntEQ: 0 ).
    odd = ( ((_IntMod: 2) _IntEQ: 0) not ).

    "self raised to an integer power, by repeated squaring. A negative
     exponent answers a float: 2 power: -1 is 0.5."
    power: exponent = ( | result. base. e |
        (exponent _IntLT: 0 IfFail: [|:x. :y|
                ^ error: 'power: needs an integer exponent, not ', exponent _ObjectPrintString])
            ifTrue: [^ 1.0 / (power: exponent negate)].
        result: 1.
        base: self.
        e: exponent.
        [e _IntGT: 0] whileTrue: [
            e odd ifTrue: [result: result * base].
            e: e _IntDiv: 2.
            (e _IntGT: 0) ifTrue: [base: base * base]].
        result ).

    "the greatest common divisor (Euclid), never negative; 0 gcd: 0 is 0"
    gcd: n = ( | a. b. t |
        a: abs.
        b: n abs.
        [b = 0] whileFalse: [
            t: a % b.
            a: b.
            b: t].
        a ).

    "iterative, so 10000 factorial does not use the stack"
    factorial = ( | r |
        (_IntLT: 0) ifTrue: [^ error: 'factorial of a negative number: ', printString].
        r: 1.
        2 to: self Do: [|:k| r: r _IntMul: k].
        r ).

    sqrt = ( asFloat sqrt ).
    asFloat = ( _IntAsFloat ).
    asInteger = ( self ).
    floor = ( self ).
    ceil = ( self ).
    round = ( self ).
    truncate = ( self ).

    "(the IfFail: is for traits integer itself, which is not an integer)"
    printString = ( _IntPrintStringIfFail: [|:e. :p| _ObjectPrintString] ).
    printStringBase: base = ( _IntPrintStringBase: base ).
    "padded on the left with padChar (a one-character string) to len
     characters: 5 printStringPadWith: ' ' ToSize: 3 is '  5'. Zeros go
     after the sign: -5 printStringPadWith0ToSize: 3 is '-05'."
    printStringBase: base PadWith: padChar ToSize: len = ( | s. sign |
        s: printStringBase: base.
        sign: ''.
        ((padChar = '0') && [self < 0]) ifTrue: [
            sign: '-'.
            s: s copyFrom: 1 UpTo: s size].
        ((sign size + s size) >= len) ifTrue: [^ sign , s].
        sign , ('' copySize: len - sign size - s size FillingWith: padChar) , s ).
    printStringPadWith: padChar ToSize: len = ( printStringBase: 10 PadWith: padChar ToSize: len ).
    printStringPadWith0ToSize: len = ( printStringPadWith: '0' ToSize: len ).
    "with p decimals, like a float's: 3 printStringPrecision: 2 is '3.00'"
    printStringPrecision: p = (
        (p > 0) ifFalse: [^ printString].
        printString , '.' , ('' copySize: p FillingWith: '0') ).
    asString = ( _IntPrintString ).

    "iteration. The bound may be a float: 1 to: 2.5 Do: runs 1 and 2.
     The loops go four steps per test while at least four remain, then one
     by one: a test and its branch cost as much as a step."
    to: last Do: block = ( | i. stop. stop4 |
        stop: (last _IntAdd: 0 IfFail: [|:e. :p| last floor]).
        stop4: stop _IntSub: 3.
        i: self.
        [ (i _IntLE: stop4) ifFalse: [
              [ (i _IntLE: stop) ifFalse: [^ self].
                block value: i.
                i: i _IntAdd: 1.
                _Restart ] value].
          block value: i.
          block value: (i _IntAdd: 1).
          block value: (i _IntAdd: 2).
          block value: (i _IntAdd: 3).
          i: i _IntAdd: 4.
          _Restart ] value ).

    "self, self + 1, ... while below last"
    upTo: last Do: block = (
        to: (last _IntSub: 1 IfFail: [|:e. :p| last ceil - 1]) Do: block ).

    "self, self - 1, ... down to last"
    downTo: last Do: block = ( | i. stop. stop4 |
        stop: (last _IntAdd: 0 IfFail: [|:e. :p| last ceil]).
        stop4: stop _IntAdd: 3.
        i: self.
        [ (i _IntGE: stop4) ifFalse: [
              [ (i _IntGE: stop) ifFalse: [^ self].
                block value: i.
                i: i _IntSub: 1.
                _Restart ] value].
          block value: i.
          block value: (i _IntSub: 1).
          block value: (i _IntSub: 2).
          block value: (i _IntSub: 3).
          i: i _IntSub: 4.
          _Restart ] value ).

    "any step but 0, which is an error; a negative step counts down"
    to: last By: step Do: block = ( | i |
        (step = 0) ifTrue: [^ error: 'to:By:Do: with a step of 0'].
        i: self.
        (step > 0)
            ifTrue: [
                [ (i <= last) ifFalse: [^ self].
                  block value: i.
                  i: i + step.
                  _Restart ] value ]
            False: [
                [ (i >= last) ifFalse: [^ self].
                  block value: i.
                  i: i + step.
                  _Restart ] value ] ).

    timesRepeat: block = ( | n |
        n: self.
        [ (n _IntGE: 4) ifFalse: [
              [ (n _IntGT: 0) ifFalse: [^ self].
                block value.
                n: n _IntSub: 1.
                _Restart ] value].
          block value.
          block value.
          block value.
          block value.
          n: n _IntSub: 4.
          _Restart ] value ).
| ).
