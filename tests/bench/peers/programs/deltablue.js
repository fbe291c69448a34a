// deltablue: the DeltaBlue incremental constraint solver (Freeman-Benson,
// Maloney and Borning; the Smalltalk version as ported to JavaScript for
// Octane), step for step as in deltablue.self: strengths, variables, unary
// (stay, edit) and binary (equality, scale) constraints, the planner and
// plans, and Octane's two tests, chainTest(100) and projectionTest(100), run
// 20 times. OrderedCollection's removeFirst takes the last element, as
// Octane's does. Prints the sums of the chain's last values and of the
// projection's destinations.
var currentPlanner = null;

function Strength(strengthValue, name) {
  this.strengthValue = strengthValue;
  this.name = name;
}
Strength.prototype.stronger = function (s) { return this.strengthValue < s.strengthValue; };
Strength.prototype.weaker = function (s) { return this.strengthValue > s.strengthValue; };
Strength.prototype.weakestOf = function (s) { return this.weaker(s) ? this : s; };
Strength.prototype.strongest = function (s) { return this.stronger(s) ? this : s; };
Strength.prototype.nextWeaker = function () {
  if (this.strengthValue === 0) return STRONG_PREFERRED;
  if (this.strengthValue === 1) return PREFERRED;
  if (this.strengthValue === 2) return STRONG_DEFAULT;
  if (this.strengthValue === 3) return NORMAL;
  if (this.strengthValue === 4) return WEAK_DEFAULT;
  if (this.strengthValue === 5) return WEAKEST;
  return null;
};
var REQUIRED = new Strength(0, 'required');
var STRONG_PREFERRED = new Strength(1, 'strongPreferred');
var PREFERRED = new Strength(2, 'preferred');
var STRONG_DEFAULT = new Strength(3, 'strongDefault');
var NORMAL = new Strength(4, 'normal');
var WEAK_DEFAULT = new Strength(5, 'weakDefault');
var WEAKEST = new Strength(6, 'weakest');

var FORWARD = 1, BACKWARD = -1, NONE = 0;

function OrderedCollection() { this.elms = []; }
OrderedCollection.prototype.add = function (e) { this.elms.push(e); };
OrderedCollection.prototype.at = function (i) { return this.elms[i]; };
OrderedCollection.prototype.size = function () { return this.elms.length; };
OrderedCollection.prototype.removeFirst = function () { return this.elms.pop(); };
OrderedCollection.prototype.remove = function (e) {
  var index = 0, skipped = 0;
  for (var i = 0; i <= this.elms.length - 1; i++) {
    var v = this.elms[i];
    if (v !== e) {
      this.elms[index] = v;
      index = index + 1;
    } else {
      skipped = skipped + 1;
    }
  }
  for (var i = 0; i <= skipped - 1; i++) this.elms.pop();
};

function Variable(name, value) {
  this.value = value;
  this.constraints = new OrderedCollection();
  this.determinedBy = null;
  this.mark = 0;
  this.walkStrength = WEAKEST;
  this.stay = true;
  this.name = name;
}
Variable.prototype.addConstraint = function (c) { this.constraints.add(c); };
Variable.prototype.removeConstraint = function (c) {
  this.constraints.remove(c);
  if (this.determinedBy === c) this.determinedBy = null;
};

function Constraint() {}
Constraint.prototype.addConstraint = function () {
  this.addToGraph();
  currentPlanner.incrementalAdd(this);
};
Constraint.prototype.satisfy = function (mark) {
  var out, overridden;
  this.chooseMethod(mark);
  if (!this.isSatisfied()) {
    if (this.strength === REQUIRED) throw new Error('Could not satisfy a required constraint!');
    return null;
  }
  this.markInputs(mark);
  out = this.output();
  overridden = out.determinedBy;
  if (overridden !== null) overridden.markUnsatisfied();
  out.determinedBy = this;
  if (!currentPlanner.addPropagate(this, mark)) throw new Error('Cycle encountered');
  out.mark = mark;
  return overridden;
};
Constraint.prototype.destroyConstraint = function () {
  if (this.isSatisfied()) currentPlanner.incrementalRemove(this);
  else this.removeFromGraph();
};
Constraint.prototype.isInput = function () { return false; };

function UnaryConstraint() {}
UnaryConstraint.prototype = Object.create(Constraint.prototype);
UnaryConstraint.prototype.on = function (v, s) {
  this.strength = s;
  this.myOutput = v;
  this.satisfied = false;
  this.addConstraint();
  return this;
};
UnaryConstraint.prototype.addToGraph = function () {
  this.myOutput.addConstraint(this);
  this.satisfied = false;
};
UnaryConstraint.prototype.chooseMethod = function (mark) {
  this.satisfied = (this.myOutput.mark !== mark) && this.strength.stronger(this.myOutput.walkStrength);
};
UnaryConstraint.prototype.isSatisfied = function () { return this.satisfied; };
UnaryConstraint.prototype.markInputs = function (mark) {};
UnaryConstraint.prototype.output = function () { return this.myOutput; };
UnaryConstraint.prototype.recalculate = function () {
  this.myOutput.walkStrength = this.strength;
  this.myOutput.stay = !this.isInput();
  if (this.myOutput.stay) this.execute();
};
UnaryConstraint.prototype.markUnsatisfied = function () { this.satisfied = false; };
UnaryConstraint.prototype.inputsKnown = function (mark) { return true; };
UnaryConstraint.prototype.removeFromGraph = function () {
  if (this.myOutput !== null) this.myOutput.removeConstraint(this);
  this.satisfied = false;
};

function StayConstraint() { this.strength = null; this.myOutput = null; this.satisfied = false; }
StayConstraint.prototype = Object.create(UnaryConstraint.prototype);
StayConstraint.prototype.execute = function () {};

function EditConstraint() { this.strength = null; this.myOutput = null; this.satisfied = false; }
EditConstraint.prototype = Object.create(UnaryConstraint.prototype);
EditConstraint.prototype.isInput = function () { return true; };
EditConstraint.prototype.execute = function () {};

function BinaryConstraint() {}
BinaryConstraint.prototype = Object.create(Constraint.prototype);
BinaryConstraint.prototype.from = function (a, b, s) {
  this.strength = s;
  this.v1 = a;
  this.v2 = b;
  this.direction = NONE;
  this.addConstraint();
  return this;
};
BinaryConstraint.prototype.chooseMethod = function (mark) {
  if (this.v1.mark === mark) {
    this.direction = ((this.v2.mark !== mark) && this.strength.stronger(this.v2.walkStrength))
      ? FORWARD : NONE;
  }
  if (this.v2.mark === mark) {
    this.direction = ((this.v1.mark !== mark) && this.strength.stronger(this.v1.walkStrength))
      ? BACKWARD : NONE;
  }
  if (this.v1.walkStrength.weaker(this.v2.walkStrength)) {
    this.direction = this.strength.stronger(this.v1.walkStrength) ? BACKWARD : NONE;
  } else {
    this.direction = this.strength.stronger(this.v2.walkStrength) ? FORWARD : BACKWARD;
  }
};
BinaryConstraint.prototype.addToGraph = function () {
  this.v1.addConstraint(this);
  this.v2.addConstraint(this);
  this.direction = NONE;
};
BinaryConstraint.prototype.isSatisfied = function () { return this.direction !== NONE; };
BinaryConstraint.prototype.markInputs = function (mark) { this.input().mark = mark; };
BinaryConstraint.prototype.input = function () { return (this.direction === FORWARD) ? this.v1 : this.v2; };
BinaryConstraint.prototype.output = function () { return (this.direction === FORWARD) ? this.v2 : this.v1; };
BinaryConstraint.prototype.recalculate = function () {
  var ihn = this.input(), out = this.output();
  out.walkStrength = this.strength.weakestOf(ihn.walkStrength);
  out.stay = ihn.stay;
  if (out.stay) this.execute();
};
BinaryConstraint.prototype.markUnsatisfied = function () { this.direction = NONE; };
BinaryConstraint.prototype.inputsKnown = function (mark) {
  var i = this.input();
  return (i.mark === mark) || (i.stay || (i.determinedBy === null));
};
BinaryConstraint.prototype.removeFromGraph = function () {
  if (this.v1 !== null) this.v1.removeConstraint(this);
  if (this.v2 !== null) this.v2.removeConstraint(this);
  this.direction = NONE;
};

function EqualityConstraint() { this.strength = null; this.v1 = null; this.v2 = null; this.direction = NONE; }
EqualityConstraint.prototype = Object.create(BinaryConstraint.prototype);
EqualityConstraint.prototype.execute = function () { this.output().value = this.input().value; };

function ScaleConstraint() {
  this.strength = null; this.v1 = null; this.v2 = null; this.direction = NONE;
  this.scale = null; this.offset = null;
}
ScaleConstraint.prototype = Object.create(BinaryConstraint.prototype);
ScaleConstraint.prototype.src = function (s, sc, o, d, str) {
  this.direction = NONE;
  this.scale = sc;
  this.offset = o;
  return this.from(s, d, str);
};
ScaleConstraint.prototype.addToGraph = function () {
  BinaryConstraint.prototype.addToGraph.call(this);
  this.scale.addConstraint(this);
  this.offset.addConstraint(this);
};
ScaleConstraint.prototype.removeFromGraph = function () {
  BinaryConstraint.prototype.removeFromGraph.call(this);
  if (this.scale !== null) this.scale.removeConstraint(this);
  if (this.offset !== null) this.offset.removeConstraint(this);
};
ScaleConstraint.prototype.markInputs = function (mark) {
  BinaryConstraint.prototype.markInputs.call(this, mark);
  this.scale.mark = mark;
  this.offset.mark = mark;
};
ScaleConstraint.prototype.execute = function () {
  if (this.direction === FORWARD) {
    this.v2.value = (this.v1.value * this.scale.value) + this.offset.value;
  } else {
    this.v1.value = Math.trunc((this.v2.value - this.offset.value) / this.scale.value);
  }
};
ScaleConstraint.prototype.recalculate = function () {
  var ihn = this.input(), out = this.output();
  out.walkStrength = this.strength.weakestOf(ihn.walkStrength);
  out.stay = ihn.stay && (this.scale.stay && this.offset.stay);
  if (out.stay) this.execute();
};

function Planner() { this.currentMark = 0; }
Planner.prototype.incrementalAdd = function (c) {
  var mark = this.newMark();
  var overridden = c.satisfy(mark);
  while (overridden !== null) overridden = overridden.satisfy(mark);
};
Planner.prototype.incrementalRemove = function (c) {
  var out = c.output();
  c.markUnsatisfied();
  c.removeFromGraph();
  var unsatisfied = this.removePropagateFrom(out);
  var strength = REQUIRED;
  do {
    for (var i = 0; i <= unsatisfied.size() - 1; i++) {
      var u = unsatisfied.at(i);
      if (u.strength === strength) this.incrementalAdd(u);
    }
    strength = strength.nextWeaker();
  } while (strength !== WEAKEST);
};
Planner.prototype.newMark = function () {
  this.currentMark = this.currentMark + 1;
  return this.currentMark;
};
Planner.prototype.makePlan = function (sources) {
  var mark = this.newMark();
  var plan = new Plan();
  var todo = sources;
  while (todo.size() > 0) {
    var c = todo.removeFirst();
    if ((c.output().mark !== mark) && c.inputsKnown(mark)) {
      plan.addConstraint(c);
      c.output().mark = mark;
      this.addConstraintsConsumingTo(c.output(), todo);
    }
  }
  return plan;
};
Planner.prototype.extractPlanFromConstraints = function (constraints) {
  var sources = new OrderedCollection();
  for (var i = 0; i <= constraints.size() - 1; i++) {
    var c = constraints.at(i);
    if (c.isInput() && c.isSatisfied()) sources.add(c);
  }
  return this.makePlan(sources);
};
Planner.prototype.addPropagate = function (c, mark) {
  var todo = new OrderedCollection();
  todo.add(c);
  while (todo.size() > 0) {
    var d = todo.removeFirst();
    if (d.output().mark === mark) {
      this.incrementalRemove(c);
      return false;
    }
    d.recalculate();
    this.addConstraintsConsumingTo(d.output(), todo);
  }
  return true;
};
Planner.prototype.removePropagateFrom = function (out) {
  out.determinedBy = null;
  out.walkStrength = WEAKEST;
  out.stay = true;
  var unsatisfied = new OrderedCollection();
  var todo = new OrderedCollection();
  todo.add(out);
  while (todo.size() > 0) {
    var v = todo.removeFirst();
    for (var i = 0; i <= v.constraints.size() - 1; i++) {
      var c = v.constraints.at(i);
      if (!c.isSatisfied()) unsatisfied.add(c);
    }
    var determining = v.determinedBy;
    for (var i = 0; i <= v.constraints.size() - 1; i++) {
      var next = v.constraints.at(i);
      if ((next !== determining) && next.isSatisfied()) {
        next.recalculate();
        todo.add(next.output());
      }
    }
  }
  return unsatisfied;
};
Planner.prototype.addConstraintsConsumingTo = function (v, coll) {
  var determining = v.determinedBy;
  var cc = v.constraints;
  for (var i = 0; i <= cc.size() - 1; i++) {
    var c = cc.at(i);
    if ((c !== determining) && c.isSatisfied()) coll.add(c);
  }
};

function Plan() { this.v = new OrderedCollection(); }
Plan.prototype.addConstraint = function (c) { this.v.add(c); };
Plan.prototype.size = function () { return this.v.size(); };
Plan.prototype.constraintAt = function (i) { return this.v.at(i); };
Plan.prototype.execute = function () {
  for (var i = 0; i <= this.size() - 1; i++) this.constraintAt(i).execute();
};

// Octane's chainTest: a chain of n equality constraints from first to last;
// answers the sum of last's values over the 100 edits.
function chainTest(n) {
  var prev = null, first = null, last = null, v, edit, edits, plan, sum = 0;
  currentPlanner = new Planner();
  for (var i = 0; i <= n; i++) {
    v = new Variable('v' + String(i), 0);
    if (prev !== null) new EqualityConstraint().from(prev, v, REQUIRED);
    if (i === 0) first = v;
    if (i === n) last = v;
    prev = v;
  }
  new StayConstraint().on(last, STRONG_DEFAULT);
  edit = new EditConstraint().on(first, PREFERRED);
  edits = new OrderedCollection();
  edits.add(edit);
  plan = currentPlanner.extractPlanFromConstraints(edits);
  for (var i = 0; i <= 99; i++) {
    first.value = i;
    plan.execute();
    if (last.value !== i) throw new Error('Chain test failed.');
    sum = sum + last.value;
  }
  return sum;
}

// Octane's projectionTest: n scale constraints dst = src * scale + offset;
// answers the sum of the destinations' values at the end.
function projectionTest(n) {
  var scale, offset, src = null, dst = null, dests, sum = 0;
  currentPlanner = new Planner();
  scale = new Variable('scale', 10);
  offset = new Variable('offset', 1000);
  dests = new OrderedCollection();
  for (var i = 0; i <= n - 1; i++) {
    src = new Variable('src' + String(i), i);
    dst = new Variable('dst' + String(i), i);
    dests.add(dst);
    new StayConstraint().on(src, NORMAL);
    new ScaleConstraint().src(src, scale, offset, dst, REQUIRED);
  }
  change(src, 17);
  if (dst.value !== 1170) throw new Error('Projection 1 failed');
  change(dst, 1050);
  if (src.value !== 5) throw new Error('Projection 2 failed');
  change(scale, 5);
  for (var i = 0; i <= n - 2; i++) {
    if (dests.at(i).value !== (i * 5) + 1000) throw new Error('Projection 3 failed');
  }
  change(offset, 2000);
  for (var i = 0; i <= n - 2; i++) {
    if (dests.at(i).value !== (i * 5) + 2000) throw new Error('Projection 4 failed');
  }
  for (var i = 0; i <= n - 1; i++) sum = sum + dests.at(i).value;
  return sum;
}

function change(v, newValue) {
  var edit = new EditConstraint().on(v, PREFERRED);
  var edits = new OrderedCollection();
  edits.add(edit);
  var plan = currentPlanner.extractPlanFromConstraints(edits);
  for (var i = 0; i <= 9; i++) {
    v.value = newValue;
    plan.execute();
  }
  edit.destroyConstraint();
}

function run(r) {
  var chain = 0, projection = 0;
  for (var k = 1; k <= r; k++) {
    chain = chain + chainTest(100);
    projection = projection + projectionTest(100);
  }
  return 'chain ' + chain + ' projection ' + projection;
}
print(run(20));
