"Psyche core world: the world object (Go makes it, lobby world, with
 parent* = traits clonable). A checkpoint is a name for the committed
 state of the world; it is made when the evaluation that asks for it
 commits, so a failed evaluation makes none."

world _AddSlots: ( |
    "name the current state 'name'; answers the receiver"
    checkpoint: name = ( _WorldCheckpoint: name ).
    "the names of the checkpoints, oldest first (a vector of strings)"
    checkpoints = ( _WorldCheckpoints ).
    "a string describing the world: sizes, object counts, checkpoints"
    info = ( _WorldInfo ).
    printString = ( 'world' ).
| ).
