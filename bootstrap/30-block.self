"Psyche core world: blocks.

 value, value:, value:With: ... are the VM's: a block answers the one
 that matches its number of arguments. The loops below restart their own
 activation with _Restart, so they run in constant stack; they answer
 nil, as in Self."

traits block _AddSlots: ( |
    "A block with arguments has only its value:... slot; without this, value
     would find the every-object value and answer the block itself."
    value = ( _Error: 'undefinedSelector: value sent to a block that takes arguments' ).

    "run the receiver forever (leave it with ^)"
    loop = ( value. _Restart ).

    "while the receiver answers true, run body"
    whileTrue: body = (
        value ifFalse: [^ nil].
        body value.
        _Restart ).
    "while the receiver answers false, run body"
    whileFalse: body = (
        value ifTrue: [^ nil].
        body value.
        _Restart ).
    whileTrue = (
        value ifFalse: [^ nil].
        _Restart ).
    whileFalse = (
        value ifTrue: [^ nil].
        _Restart ).

    "run the receiver, then condition; stop when the condition is true"
    untilTrue: condition = (
        value.
        condition value ifTrue: [^ nil].
        _Restart ).
    untilFalse: condition = (
        value.
        condition value ifFalse: [^ nil].
        _Restart ).

    "run the receiver, then cleanup (a block of no arguments), and answer
     the receiver's value. cleanup also runs when a ^ inside the receiver
     leaves it (the interpreter's _OnReturn: unwinds through it)."
    onReturn: cleanup = ( _OnReturn: cleanup ).

    printString = ( 'a block' ).
| ).
