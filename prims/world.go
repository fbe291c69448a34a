package prims

import "psyche/heap"

// World primitives: checkpoints and information about the world.

func (e *Env) world() (WorldHooks, error) {
	if e.World == nil {
		return nil, &Failure{Name: "noWorldError"}
	}
	return e.World, nil
}

func init() {
	register("_WorldCheckpoint:", func(e *Env, rcv heap.Oop, args []heap.Oop) (heap.Oop, error) {
		w, err := e.world()
		if err != nil {
			return 0, err
		}
		name, ok := e.stringArg(args[0])
		if !ok {
			return 0, errBadType
		}
		if err := w.RequestCheckpoint(string(name)); err != nil {
			return 0, &Abort{err.Error()}
		}
		return rcv, nil
	})
	register("_WorldCheckpoints", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		w, err := e.world()
		if err != nil {
			return 0, err
		}
		names := w.CheckpointNames()
		v := e.M.NewVector(len(names), e.M.Nil)
		for i, n := range names {
			e.M.VectorAtPut(v, i, e.M.Intern(n))
		}
		return v, nil
	})
	register("_WorldInfo", func(e *Env, rcv heap.Oop, _ []heap.Oop) (heap.Oop, error) {
		w, err := e.world()
		if err != nil {
			return 0, err
		}
		return e.str(w.Summary()), nil
	})
}
