"strings: builds a string by concatenation, the numbers 1 to 1000 each
 followed by a blank, 100 times over (each time from the empty string).
 Prints the total length of the strings built."
lobby _AddSlots: ( |
    buildString: n = ( | s <- '' |
        1 to: n Do: [|:i| s: s, i printString, ' '].
        s ).
    stringLoop: r = ( | total <- 0 |
        1 to: r Do: [|:j| total: total + (buildString: 1000) size].
        total ).
| ).
(stringLoop: 100) printLine.
