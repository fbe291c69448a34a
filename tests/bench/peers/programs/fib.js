// fib: the doubly recursive Fibonacci function; prints fib(30) = 832040.
function fib(n) {
  if (n < 2) return n;
  return fib(n - 1) + fib(n - 2);
}
print(fib(30));
