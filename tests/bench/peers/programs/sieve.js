// sieve: the sieve of Eratosthenes over a Uint8Array of flags for 2 to 8190,
// run 60 times. Prints the total count of primes found (60 * 1027).
function sieve(n) {
  var flags = new Uint8Array(n + 1);
  var count = 0;
  for (var i = 2; i <= n; i++) flags[i] = 1;
  for (var i = 2; i <= n; i++) {
    if (flags[i] === 1) {
      count = count + 1;
      for (var k = i + i; k <= n; k += i) flags[k] = 0;
    }
  }
  return count;
}

function sieveRepeat(r) {
  var total = 0;
  for (var j = 1; j <= r; j++) total = total + sieve(8190);
  return total;
}
print(sieveRepeat(60));
