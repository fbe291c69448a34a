// poly: one send site, shape.area(), meeting three kinds of receiver in turn
// (square, rectangle, triangle), 1,000,000 times. Prints the sum of the areas.
function Square() { this.side = 3; }
Square.prototype.area = function () { return this.side * this.side; };
function Rectangle() { this.width = 2; this.height = 5; }
Rectangle.prototype.area = function () { return this.width * this.height; };
function Triangle() { this.base = 4; this.height = 7; }
Triangle.prototype.area = function () { return Math.trunc((this.base * this.height) / 2); };

function polyLoop(n) {
  var shapes = new Array(3);
  var total = 0;
  shapes[0] = new Square();
  shapes[1] = new Rectangle();
  shapes[2] = new Triangle();
  for (var i = 0; i <= n - 1; i++) total = total + shapes[i % 3].area();
  return total;
}
print(polyLoop(1000000));
