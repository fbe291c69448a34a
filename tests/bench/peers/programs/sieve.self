"sieve: the sieve of Eratosthenes over a byteVector of flags for 2 to 8190,
 run 60 times. Prints the total count of primes found (60 * 1027)."
lobby _AddSlots: ( |
    sieve: n = ( | flags. count <- 0 |
        flags: (byteVector copySize: n + 1).
        2 to: n Do: [|:i| flags at: i Put: 1].
        2 to: n Do: [|:i|
            ((flags at: i) = 1) ifTrue: [
                count: count + 1.
                i + i to: n By: i Do: [|:k| flags at: k Put: 0]]].
        count ).
    sieveRepeat: r = ( | total <- 0 |
        1 to: r Do: [|:j| total: total + (sieve: 8190)].
        total ).
| ).
(sieveRepeat: 60) printLine.
