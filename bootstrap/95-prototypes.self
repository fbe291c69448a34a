"Psyche core world: the prototypes that Go does not create (list,
 dictionary, set), bound in globals so that every object can name them.
 Each is an empty, usable collection; make new ones with copyRemoveAll
 (or copy). This file comes
 last because the slot initializers below run when it is compiled and
 need the traits and traits hashTable emptyMarker of the earlier files."

globals _AddSlots: ( |
    list = ( |
        parent* = traits list.
        items <- vector _VectorCopySize: 8.
        start <- 0.
        size <- 0.
    | ).
    dictionary = ( |
        parent* = traits dictionary.
        keyTable <- vector _VectorCopySize: 8 FillingWith: traits hashTable emptyMarker.
        valueTable <- vector _VectorCopySize: 8.
        size <- 0.
    | ).
    set = ( |
        parent* = traits set.
        keyTable <- vector _VectorCopySize: 8 FillingWith: traits hashTable emptyMarker.
        size <- 0.
    | ).
| ).
