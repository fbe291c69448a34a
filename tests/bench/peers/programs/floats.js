// floats: the Leibniz series for pi / 4, 1 - 1/3 + 1/5 - ..., summed over
// 600,000 terms in floating point. Prints the sum times 10^9, truncated.
function leibniz(n) {
  var sum = 0.0, sign = 1.0;
  for (var i = 0; i <= n - 1; i++) {
    sum = sum + (sign / ((2 * i) + 1));
    sign = 0.0 - sign;
  }
  return sum;
}
print(Math.trunc(leibniz(600000) * 1000000000.0));
