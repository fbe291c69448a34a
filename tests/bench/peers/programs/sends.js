// sends: 3,000,000 sends of bump to an object, from a loop; each adds its
// argument to the object's counter. Prints the sum of 1 to 3,000,000.
function Counter() { this.count = 0; }
Counter.prototype.bump = function (i) { this.count = this.count + i; };

function sendLoop(n) {
  var c = new Counter();
  for (var i = 1; i <= n; i++) c.bump(i);
  return c.count;
}
print(sendLoop(3000000));
