"Psyche core world: files. (file named: 'notes.txt') is a file object
 for that path (relative paths are relative to the current directory);
 contents answers the bytes (a byteVector), write: replaces them with a
 byteVector's (or a string's), exists and size ask about the file. Files
 live outside the world: a file written by an evaluation that fails
 stays written, as printed text stays printed.

 A file's slots: parent* = traits file, path (see 95-prototypes.self).

 Errors: contents and size of a missing file: 'file not found: notes.txt';
 other failures are the primitive's (ioError)."

traits file _AddSlots: ( |
    "a file object for path (a string)"
    named: aPath = ( clone path: aPath ).

    exists = ( _FileExists: path ).
    size = ( _FileSize: path IfFail: [|:e. :p| failed: e Primitive: p] ).
    contents = ( _FileContents: path IfFail: [|:e. :p| failed: e Primitive: p] ).
    "replace the file's contents; answers the receiver"
    write: bytes = (
        _FileWrite: path Data: bytes IfFail: [|:e. :p| failed: e Primitive: p].
        self ).
    failed: errorName Primitive: primitiveName = (
        (errorName = 'notFoundError') ifTrue: [^ error: 'file not found: ', path].
        primitiveFailedError: errorName Name: primitiveName ).

    "file('notes.txt')"
    printString = ( 'file(' , path printString , ')' ).
| ).
