// trees: the binary-trees benchmark (the Computer Language Benchmarks Game):
// a stretch tree of depth max + 1, a long-lived tree of depth max, then for
// each depth d from 4 to max by 2, 2 ^ (max - d + 4) trees of depth d made
// bottom up and walked. Prints the sum of every tree's node count; max is 12.
function TreeNode() { this.left = null; this.right = null; }
TreeNode.prototype.check = function () {
  if (this.left === null) return 1;
  return 1 + this.left.check() + this.right.check();
};

function bottomUpTree(d) {
  var n = new TreeNode();
  if (d > 0) {
    n.left = bottomUpTree(d - 1);
    n.right = bottomUpTree(d - 1);
  }
  return n;
}

function binaryTrees(max) {
  var total = bottomUpTree(max + 1).check();
  var longLived = bottomUpTree(max);
  for (var d = 4; d <= max; d += 2) {
    var iterations = Math.pow(2, max - d + 4);
    for (var i = 1; i <= iterations; i++) total = total + bottomUpTree(d).check();
  }
  return total + longLived.check();
}
print(binaryTrees(12));
