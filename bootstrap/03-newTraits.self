"Psyche core world, part 3: new traits, third level (see 01-newTraits.self).

   traits hashTable
     traits dictionary
     traits set"

traits _AddSlots: ( |
    dictionary = ( | parent* = traits hashTable | ).
    set = ( | parent* = traits hashTable | ).
| ).
