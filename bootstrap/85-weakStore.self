"Psyche core world: weakStore (LANGUAGE.md section 4), a persistent weak
 store from keys (compared by identity) to values, after @agoric/store's
 makeWeakStore. A store is a primitive object made by _WeakStoreNew (Go
 makes the prototype, globals weakStore, and traits weakStore, its
 parent); the methods below work on it with the _WeakStore* primitives.
 Its keys cannot be enumerated, so a store with entries cannot be
 copied; clone answers a store that shares the entries of the receiver.

 Errors: init:With: of a present key: 'key already present: 3';
 set:To:, get: and delete: of an absent key: 'key not found: 3'."

traits weakStore _AddSlots: ( |
    "a new, empty store"
    copyRemoveAll = ( _WeakStoreNew ).
    copy = (
        (_WeakStoreSize = 0) ifFalse: [
            ^ error: 'a weakStore with entries cannot be copied (its keys cannot be enumerated)'].
        _WeakStoreNew ).

    has: k = ( _WeakStoreHas: k ).
    "add k, which must be absent; answers the receiver"
    init: k With: v = (
        (_WeakStoreHas: k) ifTrue: [^ error: 'key already present: ', k _ObjectPrintString].
        _WeakStorePut: k Value: v.
        self ).
    "replace the value of k, which must be present; answers the receiver"
    set: k To: v = (
        (_WeakStoreHas: k) ifFalse: [^ error: 'key not found: ', k _ObjectPrintString].
        _WeakStorePut: k Value: v.
        self ).
    get: k = ( _WeakStoreAt: k IfFail: [|:e. :p|
        (e = 'notFoundError')
            ifTrue: [error: 'key not found: ', k _ObjectPrintString]
            False: [primitiveFailedError: e Name: p]] ).
    at: k IfAbsent: block = ( _WeakStoreAt: k IfFail: [|:e. :p|
        (e = 'notFoundError')
            ifTrue: [block value]
            False: [primitiveFailedError: e Name: p]] ).
    "remove k, which must be present; answers the receiver"
    delete: k = (
        _WeakStoreRemove: k IfFail: [|:e. :p|
            (e = 'notFoundError')
                ifTrue: [error: 'key not found: ', k _ObjectPrintString]
                False: [primitiveFailedError: e Name: p]].
        self ).
    size = ( _WeakStoreSize ).
    isEmpty = ( _WeakStoreSize = 0 ).

    printString = ( 'a weakStore' ).
| ).
