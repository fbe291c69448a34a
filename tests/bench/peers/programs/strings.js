// strings: builds a string by concatenation, the numbers 1 to 1000 each
// followed by a blank, 100 times over (each time from the empty string).
// Prints the total length of the strings built.
function buildString(n) {
  var s = '';
  for (var i = 1; i <= n; i++) s = s + String(i) + ' ';
  return s;
}

function stringLoop(r) {
  var total = 0;
  for (var j = 1; j <= r; j++) total = total + buildString(1000).length;
  return total;
}
print(stringLoop(100));
