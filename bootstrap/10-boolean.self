"Psyche core world: booleans and nil.

 true and false are unique: clone and copy answer the receiver.
 Every argument is evaluated with value, so a block argument is run only
 when needed (&& and || short-circuit) and a plain object stands for
 itself (true && false)."

traits boolean _AddSlots: ( |
    clone = ( self ).
    copy = ( self ).
| ).

traits true _AddSlots: ( |
    ifTrue: trueBlock = ( trueBlock value ).
    ifFalse: falseBlock = ( nil ).
    ifTrue: trueBlock False: falseBlock = ( trueBlock value ).
    ifFalse: falseBlock True: trueBlock = ( trueBlock value ).
    && b = ( b value ).
    || b = ( self ).
    ^^ b = ( b value not ).
    not = ( false ).
    printString = ( 'true' ).
| ).

traits false _AddSlots: ( |
    ifTrue: trueBlock = ( nil ).
    ifFalse: falseBlock = ( falseBlock value ).
    ifTrue: trueBlock False: falseBlock = ( falseBlock value ).
    ifFalse: falseBlock True: trueBlock = ( falseBlock value ).
    && b = ( self ).
    || b = ( b value ).
    ^^ b = ( b value ).
    not = ( true ).
    printString = ( 'false' ).
| ).

"nil: the nil block of ifNil:IfNotNil: gets no argument (the
 not-nil block of a non-nil receiver gets the receiver, see
 00-defaults.self)."

traits nil _AddSlots: ( |
    isNil = true.
    notNil = false.
    ifNil: nilBlock = ( nilBlock value ).
    ifNotNil: notNilBlock = ( self ).
    ifNil: nilBlock IfNotNil: notNilBlock = ( nilBlock value ).
    ifNotNil: notNilBlock IfNil: nilBlock = ( nilBlock value ).
    clone = ( self ).
    copy = ( self ).
    printString = ( 'nil' ).
| ).
