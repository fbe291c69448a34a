"Psyche core world: traits collection, the shared behavior of list, set
 and dictionary (made in 01-newTraits.self). A collection defines size,
 do: and collectionName; everything here is built on them. A
 dictionary's elements are its values.

 printString is collectionName, then the elements' printStrings in
 parentheses: list(1, 2, 3), set(), dictionary(1 -> 'a'), cycle-safe and
 cut short like every collection's (printCollection:Count:Do:)."

traits collection _AddSlots: ( |
    isEmpty = ( size = 0 ).
    notEmpty = ( (size = 0) not ).
    includes: x = (
        do: [|:e| (x = e) ifTrue: [^ true]].
        false ).
    inject: initial Into: block = ( | acc |
        acc: initial.
        do: [|:e| acc: (block value: acc With: e)].
        acc ).
    detect: block IfNone: noneBlock = (
        do: [|:e| (block value: e) ifTrue: [^ e]].
        noneBlock value ).
    anySatisfy: block = (
        do: [|:e| (block value: e) ifTrue: [^ true]].
        false ).
    allSatisfy: block = (
        do: [|:e| (block value: e) ifFalse: [^ false]].
        true ).

    asVector = ( | r. i |
        r: vector _VectorCopySize: size.
        i: 0.
        do: [|:e|
            r _VectorAt: i Put: e.
            i: i + 1].
        r ).
    asList = ( | r |
        r: list copyRemoveAll.
        do: [|:e| r addLast: e].
        r ).
    asSet = ( | r |
        r: set copyRemoveAll.
        do: [|:e| r add: e].
        r ).

    collectionName = ( 'collection' ).
    "the text of each element in turn (printCollection:Count:Do:)"
    printPiecesDo: emit = ( do: [|:e| emit value: e printString] ).
    printString = (
        "the traits objects themselves (traits list...) print as objects"
        ((reflect: self) includesKey: 'size') ifFalse: [^ _ObjectPrintString].
        printCollection: collectionName Count: size Do: [|:emit| printPiecesDo: emit] ).
| ).
