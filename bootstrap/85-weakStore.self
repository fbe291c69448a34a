"Psyche core world: weakStore (LANGUAGE.md section 4), a persistent weak
 store from keys (compared by identity) to values, after @agoric/store's
 makeWeakStore. It wraps a raw store made by _WeakStoreNew, kept in the
 slot table, on which the _WeakStore* primitives work. Its keys cannot be
 enumerated, so a store with entries cannot be copied.

 A weakStore's slots: parent* = traits weakStore, table (see
 95-prototypes.self). clone shares the table.

 Errors: init:With: of a present key: 'key already present: 3';
 set:To:, get: and delete: of an absent key: 'key not found: 3'."

traits weakStore _AddSlots: ( |
    copyRemoveAll = ( clone table: _WeakStoreNew ).
    copy = (
        isEmpty ifFalse: [
            ^ error: 'a weakStore with entries cannot be copied (its keys cannot be enumerated)'].
        copyRemoveAll ).

    has: k = ( table _WeakStoreHas: k ).
    "add k, which must be absent; answers the receiver"
    init: k With: v = (
        (table _WeakStoreHas: k) ifTrue: [^ error: 'key already present: ', k printString].
        table _WeakStorePut: k Value: v.
        self ).
    "replace the value of k, which must be present; answers the receiver"
    set: k To: v = (
        (table _WeakStoreHas: k) ifFalse: [^ error: 'key not found: ', k printString].
        table _WeakStorePut: k Value: v.
        self ).
    get: k = (
        (table _WeakStoreHas: k) ifFalse: [^ error: 'key not found: ', k printString].
        table _WeakStoreAt: k IfAbsent: [nil] ).
    at: k IfAbsent: block = (
        (table _WeakStoreHas: k) ifFalse: [^ block value].
        table _WeakStoreAt: k IfAbsent: [nil] ).
    "remove k, which must be present; answers the receiver"
    delete: k = (
        (table _WeakStoreHas: k) ifFalse: [^ error: 'key not found: ', k printString].
        table _WeakStoreRemove: k.
        self ).
    size = ( table _WeakStoreSize ).
    isEmpty = ( (table _WeakStoreSize) = 0 ).

    printString = ( 'a weakStore' ).
| ).
