"Psyche core world: the prototypes that Go does not create (list,
 dictionary, set, file, time), bound in globals so that every object can name
 them. Each collection is an empty, usable one; make new ones with
 copyRemoveAll (or copy). file names no file: use file named: 'path'. This file comes
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
        tagTable <- byteVector _ByteVectorCopySize: 8.
    | ).
    set = ( |
        parent* = traits set.
        keyTable <- vector _VectorCopySize: 8 FillingWith: traits hashTable emptyMarker.
        size <- 0.
    | ).
    file = ( |
        parent* = traits file.
        path <- ''.
    | ).
    "1970-01-01T00:00:00.000Z; time current answers the present"
    time = ( |
        parent* = traits time.
        day <- 0.
        msec <- 0.
    | ).
| ).
