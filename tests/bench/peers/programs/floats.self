"floats: the Leibniz series for pi / 4, 1 - 1/3 + 1/5 - ..., summed over
 600,000 terms in floating point. Prints the sum times 10^9, truncated."
lobby _AddSlots: ( |
    leibniz: n = ( | sum <- 0.0. sign <- 1.0 |
        0 to: n - 1 Do: [|:i|
            sum: sum + (sign / ((2 * i) + 1)).
            sign: 0.0 - sign].
        sum ).
| ).
((leibniz: 600000) * 1000000000.0) truncate printLine.
