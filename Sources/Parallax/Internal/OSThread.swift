import CParallaxSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Starts detached OS threads for blocking work: channel readers and thread-isolated tasks.
package enum OSThread {
    private final class Box {
        let name: String
        let body: () -> Void
        init(_ name: String, _ body: @escaping () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Runs `body` on a new detached thread.
    /// - Parameters:
    ///   - name: The thread's name, as shown by debuggers (at most 15 bytes are kept on Linux).
    ///   - body: The work; the thread ends when it returns.
    package static func detach(name: String, _ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Box(name, body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        #if canImport(Glibc)
            var thread = pthread_t()
        #else
            var thread: pthread_t?
        #endif
        let rc = pthread_create(
            &thread, &attributes,
            { raw in
                #if canImport(Glibc)
                    let pointer = raw!
                #else
                    let pointer = raw
                #endif
                let box = Unmanaged<Box>.fromOpaque(pointer).takeRetainedValue()
                cpx_set_thread_name(box.name)
                box.body()
                return nil
            }, box)
        pthread_attr_destroy(&attributes)
        precondition(rc == 0, "pthread_create failed with \(rc)")
    }
}
