"trees: the binary-trees benchmark (the Computer Language Benchmarks Game):
 a stretch tree of depth max + 1, a long-lived tree of depth max, then for
 each depth d from 4 to max by 2, 2 ^ (max - d + 4) trees of depth d made
 bottom up and walked. Prints the sum of every tree's node count; max is 12."
lobby _AddSlots: ( |
    treeNode = ( |
        parent* = traits clonable.
        left.
        right.
        check = ( left isNil ifTrue: [1] False: [1 + left check + right check] ).
    | ).
    bottomUpTree: d = ( | n |
        n: treeNode clone.
        (d > 0) ifTrue: [
            n left: (bottomUpTree: d - 1).
            n right: (bottomUpTree: d - 1)].
        n ).
    binaryTrees: max = ( | total <- 0. longLived |
        total: (bottomUpTree: max + 1) check.
        longLived: (bottomUpTree: max).
        4 to: max By: 2 Do: [|:d|
            1 to: (2 power: (max - d) + 4) Do: [|:i|
                total: total + (bottomUpTree: d) check]].
        total + longLived check ).
| ).
(binaryTrees: 12) printLine.
