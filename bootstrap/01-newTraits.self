"Psyche core world, part 1: the traits objects that Go does not create,
 first level (parents that already exist).

 The new traits are made in three files, 01 to 03, one level of the
 hierarchy per file, because an object literal's slot initializers
 (parent* = traits collection) are evaluated when the code holding the
 literal is compiled: a literal must not depend on an earlier statement
 of the same file.

   traits clonable
     traits collection      list, set and dictionary behavior (02, 03)
     traits file            files named by a path
     traits time            points in time (Self's: a day and a msec)
     traits slot            one slot of an object, seen through a mirror (90)
     traits promise         the answer of an eventual send (97)
   traits farRef            a reference to an object of another vat (97): its
                            own small parent, not traits defaults, so that
                            almost every message falls through to the
                            undefinedSelector hook and goes to the vat"

traits _AddSlots: ( |
    collection = ( | parent* = traits clonable | ).
    file = ( | parent* = traits clonable | ).
    time = ( | parent* = traits clonable | ).
    slot = ( | parent* = traits clonable | ).
    promise = ( | parent* = traits clonable | ).
    farRef = ( | parent* = ( | | ) | ).
| ).
