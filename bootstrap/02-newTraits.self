"Psyche core world, part 2: new traits, second level (see 01-newTraits.self).

   traits collection
     traits list            a double-ended queue in a circular vector
     traits hashTable       open addressing shared by set and dictionary"

traits _AddSlots: ( |
    list = ( | parent* = traits collection | ).
    hashTable = ( | parent* = traits collection | ).
| ).
