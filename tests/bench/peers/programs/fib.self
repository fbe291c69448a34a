"fib: the doubly recursive Fibonacci function; prints fib(30) = 832040."
lobby _AddSlots: ( |
    fib: n = ( n < 2 ifTrue: [n] False: [(fib: n - 1) + (fib: n - 2)] ).
| ).
(fib: 30) printLine.
