"deltablue: the DeltaBlue incremental constraint solver (Freeman-Benson,
 Maloney and Borning; the Smalltalk version as ported to JavaScript for
 Octane), step for step: strengths, variables, unary (stay, edit) and binary
 (equality, scale) constraints, the planner and plans, and Octane's two
 tests, chainTest: 100 and projectionTest: 100, run 20 times. Octane's
 OrderedCollection is orderedCollection, over a list; its removeFirst takes
 the last element, as Octane's does. Directions: forward 1, backward -1,
 none 0. Prints the sums of the chain's last values and of the projection's
 destinations."
lobby _AddSlots: ( |
    deltaBlue = ( |
        parent* = traits clonable.
        currentPlanner.

        strength = ( |
            parent* = traits clonable.
            strengthValue <- 0.
            name <- ''.
            value: v Name: n = ( strengthValue: v. name: n. self ).
            stronger: s = ( strengthValue < s strengthValue ).
            weaker: s = ( strengthValue > s strengthValue ).
            weakestOf: s = ( (weaker: s) ifTrue: [self] False: [s] ).
            strongest: s = ( (stronger: s) ifTrue: [self] False: [s] ).
            nextWeaker = (
                (strengthValue = 0) ifTrue: [^ deltaBlue strongPreferred].
                (strengthValue = 1) ifTrue: [^ deltaBlue preferred].
                (strengthValue = 2) ifTrue: [^ deltaBlue strongDefault].
                (strengthValue = 3) ifTrue: [^ deltaBlue normal].
                (strengthValue = 4) ifTrue: [^ deltaBlue weakDefault].
                (strengthValue = 5) ifTrue: [^ deltaBlue weakest].
                nil ).
        | ).

        orderedCollection = ( |
            parent* = traits clonable.
            elms.
            new = ( clone elms: list copyRemoveAll ).
            add: e = ( elms add: e ).
            at: i = ( elms at: i ).
            size = ( elms size ).
            removeFirst = ( elms removeLast ).
            remove: e = ( | index <- 0. skipped <- 0 |
                0 to: elms size - 1 Do: [|:i. v|
                    v: elms at: i.
                    (v !== e)
                        ifTrue: [elms at: index Put: v. index: index + 1]
                        False: [skipped: skipped + 1]].
                0 to: skipped - 1 Do: [|:i| elms removeLast].
                self ).
        | ).

        variable = ( |
            parent* = traits clonable.
            value <- 0.
            constraints.
            determinedBy.
            mark <- 0.
            walkStrength.
            stay <- true.
            name <- ''.
            name: n Value: v = (
                value: v.
                constraints: deltaBlue orderedCollection new.
                determinedBy: nil.
                mark: 0.
                walkStrength: deltaBlue weakest.
                stay: true.
                name: n.
                self ).
            addConstraint: c = ( constraints add: c ).
            removeConstraint: c = (
                constraints remove: c.
                (determinedBy == c) ifTrue: [determinedBy: nil] ).
        | ).

        constraintTraits = ( |
            parent* = traits clonable.
            addConstraint = ( addToGraph. deltaBlue currentPlanner incrementalAdd: self ).
            satisfy: mark = ( | out. overridden |
                chooseMethod: mark.
                isSatisfied ifFalse: [
                    (strength == deltaBlue required) ifTrue: [
                        error: 'Could not satisfy a required constraint!'].
                    ^ nil].
                markInputs: mark.
                out: output.
                overridden: out determinedBy.
                overridden isNil ifFalse: [overridden markUnsatisfied].
                out determinedBy: self.
                (deltaBlue currentPlanner addPropagate: self Mark: mark) ifFalse: [
                    error: 'Cycle encountered'].
                out mark: mark.
                overridden ).
            destroyConstraint = (
                isSatisfied
                    ifTrue: [deltaBlue currentPlanner incrementalRemove: self]
                    False: [removeFromGraph] ).
            isInput = false.
        | ).

        planner = ( |
            parent* = traits clonable.
            currentMark <- 0.
            init = ( currentMark: 0. self ).
            incrementalAdd: c = ( | mark. overridden |
                mark: newMark.
                overridden: (c satisfy: mark).
                [overridden isNil] whileFalse: [overridden: (overridden satisfy: mark)].
                self ).
            incrementalRemove: c = ( | out. unsatisfied. strength |
                out: c output.
                c markUnsatisfied.
                c removeFromGraph.
                unsatisfied: (removePropagateFrom: out).
                strength: deltaBlue required.
                [   0 to: unsatisfied size - 1 Do: [|:i. u|
                        u: unsatisfied at: i.
                        (u strength == strength) ifTrue: [incrementalAdd: u]].
                    strength: strength nextWeaker.
                    strength == deltaBlue weakest ] whileFalse.
                self ).
            newMark = ( currentMark: currentMark + 1. currentMark ).
            makePlan: sources = ( | mark. plan. todo. c |
                mark: newMark.
                plan: deltaBlue plan new.
                todo: sources.
                [todo size > 0] whileTrue: [
                    c: todo removeFirst.
                    ((c output mark != mark) && [c inputsKnown: mark]) ifTrue: [
                        plan addConstraint: c.
                        c output mark: mark.
                        addConstraintsConsumingTo: c output Coll: todo]].
                plan ).
            extractPlanFromConstraints: constraints = ( | sources |
                sources: deltaBlue orderedCollection new.
                0 to: constraints size - 1 Do: [|:i. c|
                    c: constraints at: i.
                    (c isInput && [c isSatisfied]) ifTrue: [sources add: c]].
                makePlan: sources ).
            addPropagate: c Mark: mark = ( | todo. d |
                todo: deltaBlue orderedCollection new.
                todo add: c.
                [todo size > 0] whileTrue: [
                    d: todo removeFirst.
                    (d output mark = mark) ifTrue: [
                        incrementalRemove: c.
                        ^ false].
                    d recalculate.
                    addConstraintsConsumingTo: d output Coll: todo].
                true ).
            removePropagateFrom: out = ( | unsatisfied. todo. v. determining |
                out determinedBy: nil.
                out walkStrength: deltaBlue weakest.
                out stay: true.
                unsatisfied: deltaBlue orderedCollection new.
                todo: deltaBlue orderedCollection new.
                todo add: out.
                [todo size > 0] whileTrue: [
                    v: todo removeFirst.
                    0 to: v constraints size - 1 Do: [|:i. c|
                        c: v constraints at: i.
                        c isSatisfied ifFalse: [unsatisfied add: c]].
                    determining: v determinedBy.
                    0 to: v constraints size - 1 Do: [|:i. next|
                        next: v constraints at: i.
                        ((next !== determining) && [next isSatisfied]) ifTrue: [
                            next recalculate.
                            todo add: next output]]].
                unsatisfied ).
            addConstraintsConsumingTo: v Coll: coll = ( | determining. cc |
                determining: v determinedBy.
                cc: v constraints.
                0 to: cc size - 1 Do: [|:i. c|
                    c: cc at: i.
                    ((c !== determining) && [c isSatisfied]) ifTrue: [coll add: c]].
                self ).
        | ).

        plan = ( |
            parent* = traits clonable.
            v.
            new = ( clone v: deltaBlue orderedCollection new ).
            addConstraint: c = ( v add: c ).
            size = ( v size ).
            constraintAt: i = ( v at: i ).
            execute = ( 0 to: size - 1 Do: [|:i| (constraintAt: i) execute] ).
        | ).

        "Octane's chainTest: a chain of n equality constraints from first to
         last; answers the sum of last's values over the 100 edits."
        chainTest: n = ( | prev. first. last. v. edit. edits. plan. sum <- 0 |
            currentPlanner: planner clone init.
            0 to: n Do: [|:i|
                v: (variable clone name: 'v', i printString Value: 0).
                prev isNil ifFalse: [equalityConstraint clone from: prev To: v Strength: required].
                (i = 0) ifTrue: [first: v].
                (i = n) ifTrue: [last: v].
                prev: v].
            stayConstraint clone on: last Strength: strongDefault.
            edit: (editConstraint clone on: first Strength: preferred).
            edits: orderedCollection new.
            edits add: edit.
            plan: (currentPlanner extractPlanFromConstraints: edits).
            0 to: 99 Do: [|:i|
                first value: i.
                plan execute.
                (last value != i) ifTrue: [error: 'Chain test failed.'].
                sum: sum + last value].
            sum ).

        "Octane's projectionTest: n scale constraints dst = src * scale +
         offset; answers the sum of the destinations' values at the end."
        projectionTest: n = ( | scale. offset. src. dst. dests. sum <- 0 |
            currentPlanner: planner clone init.
            scale: (variable clone name: 'scale' Value: 10).
            offset: (variable clone name: 'offset' Value: 1000).
            dests: orderedCollection new.
            0 to: n - 1 Do: [|:i|
                src: (variable clone name: 'src', i printString Value: i).
                dst: (variable clone name: 'dst', i printString Value: i).
                dests add: dst.
                stayConstraint clone on: src Strength: normal.
                scaleConstraint clone src: src Scale: scale Offset: offset Dest: dst Strength: required].
            change: src To: 17.
            (dst value != 1170) ifTrue: [error: 'Projection 1 failed'].
            change: dst To: 1050.
            (src value != 5) ifTrue: [error: 'Projection 2 failed'].
            change: scale To: 5.
            0 to: n - 2 Do: [|:i|
                ((dests at: i) value != ((i * 5) + 1000)) ifTrue: [error: 'Projection 3 failed']].
            change: offset To: 2000.
            0 to: n - 2 Do: [|:i|
                ((dests at: i) value != ((i * 5) + 2000)) ifTrue: [error: 'Projection 4 failed']].
            0 to: n - 1 Do: [|:i| sum: sum + (dests at: i) value].
            sum ).

        change: v To: newValue = ( | edit. edits. plan |
            edit: (editConstraint clone on: v Strength: preferred).
            edits: orderedCollection new.
            edits add: edit.
            plan: (currentPlanner extractPlanFromConstraints: edits).
            0 to: 9 Do: [|:i|
                v value: newValue.
                plan execute].
            edit destroyConstraint ).

        run: r = ( | chain <- 0. projection <- 0 |
            1 to: r Do: [|:k|
                chain: chain + (chainTest: 100).
                projection: projection + (projectionTest: 100)].
            'chain ', chain printString, ' projection ', projection printString ).
    | ).
| ).

deltaBlue _AddSlots: ( |
    required = deltaBlue strength clone value: 0 Name: 'required'.
    strongPreferred = deltaBlue strength clone value: 1 Name: 'strongPreferred'.
    preferred = deltaBlue strength clone value: 2 Name: 'preferred'.
    strongDefault = deltaBlue strength clone value: 3 Name: 'strongDefault'.
    normal = deltaBlue strength clone value: 4 Name: 'normal'.
    weakDefault = deltaBlue strength clone value: 5 Name: 'weakDefault'.
    weakest = deltaBlue strength clone value: 6 Name: 'weakest'.

    unaryTraits = ( |
        parent* = deltaBlue constraintTraits.
        on: v Strength: s = (
            strength: s.
            myOutput: v.
            satisfied: false.
            addConstraint.
            self ).
        addToGraph = ( myOutput addConstraint: self. satisfied: false ).
        chooseMethod: mark = (
            satisfied: ((myOutput mark != mark) && [strength stronger: myOutput walkStrength]) ).
        isSatisfied = ( satisfied ).
        markInputs: mark = ( self ).
        output = ( myOutput ).
        recalculate = (
            myOutput walkStrength: strength.
            myOutput stay: isInput not.
            myOutput stay ifTrue: [execute] ).
        markUnsatisfied = ( satisfied: false ).
        inputsKnown: mark = ( true ).
        removeFromGraph = (
            myOutput isNil ifFalse: [myOutput removeConstraint: self].
            satisfied: false ).
    | ).

    binaryTraits = ( |
        parent* = deltaBlue constraintTraits.
        forward = 1.
        backward = -1.
        none = 0.
        from: a To: b Strength: s = (
            strength: s.
            v1: a.
            v2: b.
            direction: none.
            addConstraint.
            self ).
        chooseMethod: mark = (
            (v1 mark = mark) ifTrue: [
                direction: (((v2 mark != mark) && [strength stronger: v2 walkStrength])
                    ifTrue: [forward] False: [none])].
            (v2 mark = mark) ifTrue: [
                direction: (((v1 mark != mark) && [strength stronger: v1 walkStrength])
                    ifTrue: [backward] False: [none])].
            (v1 walkStrength weaker: v2 walkStrength)
                ifTrue: [direction: ((strength stronger: v1 walkStrength) ifTrue: [backward] False: [none])]
                False: [direction: ((strength stronger: v2 walkStrength) ifTrue: [forward] False: [backward])] ).
        addToGraph = ( v1 addConstraint: self. v2 addConstraint: self. direction: none ).
        isSatisfied = ( direction != none ).
        markInputs: mark = ( input mark: mark ).
        input = ( (direction = forward) ifTrue: [v1] False: [v2] ).
        output = ( (direction = forward) ifTrue: [v2] False: [v1] ).
        recalculate = ( | ihn. out |
            ihn: input.
            out: output.
            out walkStrength: (strength weakestOf: ihn walkStrength).
            out stay: ihn stay.
            out stay ifTrue: [execute] ).
        markUnsatisfied = ( direction: none ).
        inputsKnown: mark = ( | i |
            i: input.
            (i mark = mark) || [i stay || [i determinedBy isNil]] ).
        removeFromGraph = (
            v1 isNil ifFalse: [v1 removeConstraint: self].
            v2 isNil ifFalse: [v2 removeConstraint: self].
            direction: none ).
    | ).
| ).

deltaBlue _AddSlots: ( |
    stayConstraint = ( |
        parent* = deltaBlue unaryTraits.
        strength.
        myOutput.
        satisfied <- false.
        execute = ( self ).
    | ).
    editConstraint = ( |
        parent* = deltaBlue unaryTraits.
        strength.
        myOutput.
        satisfied <- false.
        isInput = true.
        execute = ( self ).
    | ).
    equalityConstraint = ( |
        parent* = deltaBlue binaryTraits.
        strength.
        v1.
        v2.
        direction <- 0.
        execute = ( output value: input value ).
    | ).
    scaleConstraint = ( |
        parent* = deltaBlue binaryTraits.
        strength.
        v1.
        v2.
        direction <- 0.
        scale.
        offset.
        src: s Scale: sc Offset: o Dest: d Strength: str = (
            direction: none.
            scale: sc.
            offset: o.
            from: s To: d Strength: str ).
        addToGraph = (
            resend.addToGraph.
            scale addConstraint: self.
            offset addConstraint: self ).
        removeFromGraph = (
            resend.removeFromGraph.
            scale isNil ifFalse: [scale removeConstraint: self].
            offset isNil ifFalse: [offset removeConstraint: self] ).
        markInputs: mark = (
            resend.markInputs: mark.
            scale mark: mark.
            offset mark: mark ).
        execute = (
            (direction = forward)
                ifTrue: [v2 value: (v1 value * scale value) + offset value]
                False: [v1 value: (v2 value - offset value) / scale value] ).
        recalculate = ( | ihn. out |
            ihn: input.
            out: output.
            out walkStrength: (strength weakestOf: ihn walkStrength).
            out stay: (ihn stay && [scale stay && [offset stay]]).
            out stay ifTrue: [execute] ).
    | ).
| ).

(deltaBlue run: 20) printLine.
