"Psyche core world: mirrors. reflect: anObject (00-defaults.self) answers
 a mirror on it; slotNames is a vector of its slot names (strings, in
 definition order). Two mirrors on the same object are =."

traits mirror _AddSlots: ( |
    reflectee = ( _MirrorReflectee ).
    slotNames = ( _MirrorSlotNames ).
    size = ( _MirrorSlotNames size ).
    includesSlot: name = ( _MirrorSlotNames includes: name ).
    = m = ( (m _MirrorReflecteeIfFail: [|:e. :p| ^ false]) _Eq: _MirrorReflectee ).
    hash = ( _MirrorReflectee identityHash ).
    printString = ( 'a mirror' ).
| ).
