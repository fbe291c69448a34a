"Psyche core world: mirrors, with the core of Self's protocol (Self's
 objects/core/mirror.self and slot.self).

 reflect: anObject (00-defaults.self) answers a mirror on it. A mirror is
 a keyed collection: its keys are the reflectee's slot names (strings, in
 definition order, parents without '*', without the x: assignment slot a
 data slot x comes with), its values mirrors on the slots' contents.
 slotAt: answers a slot object (traits slot) that reads its holder live.
 A method slot's contents is a mirror on the method: it answers source,
 and nothing else of it reaches Self code (its reflectee fails). Adding
 and removing slots through a mirror changes the reflectee, so it commits
 with the evaluation like any change. Two mirrors on the same object are =."

traits mirror _AddSlots: ( |
    reflectee = ( _MirrorReflecteeIfFail: [|:e. :p|
        error: 'a mirror on a method has no reflectee Self code can hold'] ).
    names = ( _MirrorSlotNames ).
    size = ( names size ).
    isEmpty = ( size = 0 ).
    includesKey: name = ( (_MirrorSlotKindAt: name IfFail: [|:e. :p| ^ false]) notNil ).

    at: name = ( _MirrorContentsAt: name IfFail: [|:e. :p| slotNotFound: name] ).
    slotAt: name = (
        (includesKey: name) ifFalse: [^ slotNotFound: name].
        slotPrototype clone mirror: self Name: name ).
    do: block = ( names do: [|:n| block value: (slotAt: n)]. self ).
    slotNotFound: name = ( error: 'slot not found: ', name ).

    source = ( _MirrorSourceIfFail: [|:e. :p|
        (e = 'notFoundError')
            ifTrue: [error: 'this method kept no source']
            False: [error: 'source: the reflectee is not a method']] ).
    isReflecteeMethod = ( (_MirrorSourceIfFail: [|:e. :p| ^ e = 'notFoundError']) notNil ).

    "Self's names for changing the reflectee: addSlots: takes a collection
     of slots, i.e. another mirror, whose reflectee's slots are added
     (replacing slots of the same name); removeSlot: removes one slot."
    addSlots: aMirror = ( reflectee _AddSlots: aMirror reflectee. self ).
    removeSlot: name = (
        reflectee _RemoveSlot: name IfFail: [|:e. :p| ^ slotNotFound: name].
        self ).

    = m = ( _MirrorReflecteeEq: m IfFail: [|:e. :p| false] ).
    hash = ( _MirrorReflecteeIdentityHash ).
    printString = ( 'a mirror' ).

    "the prototype of the slots slotAt: answers"
    slotPrototype = ( | parent* = traits slot. mirror. storedName | ).
| ).

traits slot _AddSlots: ( |
    mirror: aMirror Name: aString = ( mirror: aMirror. storedName: aString. self ).
    name = ( storedName ).
    key = ( name ).
    holder = ( mirror ).
    contents = ( mirror at: name ).
    value = ( contents ).
    isParent = ( mirror _MirrorIsParentAt: name ).
    isAssignable = ( (mirror _MirrorSlotKindAt: name) = 'data' ).
    isMethod = ( (mirror _MirrorSlotKindAt: name) = 'method' ).
    = s = ( (s holder = mirror) && [s name = name] ).
    hash = ( name hash ).
    printString = ( 'slot ' , name , (isParent ifTrue: '*' False: '') ).
| ).
