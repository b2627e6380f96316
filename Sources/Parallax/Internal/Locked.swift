import CParallaxSystem

/// A value behind a lock, with the interface of the standard library's `Mutex`.
///
/// Used instead of `Synchronization.Mutex`, whose lock on Linux the thread sanitizer cannot see:
/// every access under it is reported as a race, which would hide real ones. The lock is a futex
/// word (see `cpx_lock`), as fast as `Mutex` with or without contention. The word and the value
/// share one allocation.
@usableFromInline
package struct Locked<Value: ~Copyable>: ~Copyable, @unchecked Sendable {
    @usableFromInline let word: UnsafeMutablePointer<UInt32>
    @usableFromInline let value: UnsafeMutablePointer<Value>

    /// Where the value starts: past the word, at the value's alignment.
    private static var valueOffset: Int { max(MemoryLayout<Value>.alignment, MemoryLayout<UInt32>.size) }

    package init(_ initialValue: consuming sending Value) {
        let storage = UnsafeMutableRawPointer.allocate(
            byteCount: Self.valueOffset + MemoryLayout<Value>.size,
            alignment: max(MemoryLayout<Value>.alignment, MemoryLayout<UInt32>.alignment))
        word = storage.bindMemory(to: UInt32.self, capacity: 1)
        word.initialize(to: 0)
        value = (storage + Self.valueOffset).bindMemory(to: Value.self, capacity: 1)
        value.initialize(to: initialValue)
    }

    deinit {
        value.deinitialize(count: 1)
        UnsafeMutableRawPointer(word).deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    @inlinable
    package borrowing func withLock<Result: ~Copyable, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        Self.lock(word)
        defer { Self.unlock(word) }
        return try body(&value.pointee)
    }

    /// The lock's word operations, for the inlined `withLock` of other modules.
    @usableFromInline static func lock(_ word: UnsafeMutablePointer<UInt32>) { cpx_lock(word) }
    @usableFromInline static func unlock(_ word: UnsafeMutablePointer<UInt32>) { cpx_unlock(word) }
}
