"dict: a dictionary with string keys: 20,000 keys ('k' followed by i * 7919,
 for i from 1) inserted, then every key looked up 3 times in a scattered
 order, then as many absent keys looked up. Prints the sum of the values
 found, the number of misses and the dictionary's size."
lobby _AddSlots: ( |
    dictKey: i = ( 'k', (i * 7919) printString ).
    dictLoop: n = ( | d. sum <- 0. misses <- 0 |
        d: dictionary copyRemoveAll.
        1 to: n Do: [|:i| d at: (dictKey: i) Put: i].
        1 to: 3 Do: [|:r|
            0 to: n - 1 Do: [|:i|
                sum: sum + (d at: (dictKey: ((((i * 31) + r) % n) + 1)))]].
        1 to: n Do: [|:i|
            ((d at: (dictKey: i + n) IfAbsent: [0]) = 0) ifTrue: [misses: misses + 1]].
        sum printString, ' ', misses printString, ' ', d size printString ).
| ).
(dictLoop: 20000) printLine.
