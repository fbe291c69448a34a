// dict: a dictionary with string keys: 20,000 keys ('k' followed by i * 7919,
// for i from 1) inserted, then every key looked up 3 times in a scattered
// order, then as many absent keys looked up. Prints the sum of the values
// found, the number of misses and the dictionary's size.
function dictKey(i) { return 'k' + String(i * 7919); }

function dictLoop(n) {
  var d = new Map();
  var sum = 0, misses = 0;
  for (var i = 1; i <= n; i++) d.set(dictKey(i), i);
  for (var r = 1; r <= 3; r++) {
    for (var i = 0; i <= n - 1; i++) {
      sum = sum + d.get(dictKey(((((i * 31) + r) % n) + 1)));
    }
  }
  for (var i = 1; i <= n; i++) {
    var v = d.get(dictKey(i + n));
    if ((v === undefined ? 0 : v) === 0) misses = misses + 1;
  }
  return sum + ' ' + misses + ' ' + d.size;
}
print(dictLoop(20000));
