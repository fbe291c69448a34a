"sends: 3,000,000 sends of bump: to an object, from a loop; each adds its
 argument to the object's counter. Prints the sum of 1 to 3,000,000."
lobby _AddSlots: ( |
    counter = ( |
        parent* = traits clonable.
        count <- 0.
        bump: i = ( count: count + i ).
    | ).
    sendLoop: n = ( | c |
        c: counter clone.
        1 to: n Do: [|:i| c bump: i].
        c count ).
| ).
(sendLoop: 3000000) printLine.
