import CParallaxSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Everything needed to start one worker process.
package struct WorkerLaunch: Sendable {
    /// Set in a worker's environment: marks the process as a worker, whose channel is descriptor 3
    /// (requests) and 4 (replies); see `cpx_spawn`.
    package static let channelVariable = "PARALLAX_WORKER_CHANNEL"
    /// Set in a worker's environment: the pid of the parent that started it.
    package static let parentVariable = "PARALLAX_PARENT_PID"
    /// Set in a worker's environment: the resource limits it sets on itself.
    package static let limitsVariable = "PARALLAX_WORKER_LIMITS"
    /// Set in a worker's environment: the user, group and `no_new_privs` it sets on itself.
    package static let privilegesVariable = "PARALLAX_WORKER_PRIVILEGES"
    /// Set in a worker's environment: the default deadline of service calls, in microseconds.
    package static let serviceTimeoutVariable = "PARALLAX_SERVICE_TIMEOUT_US"
    /// Set in a worker's environment: the largest payload, in bytes, either way on its channel.
    package static let payloadLimitVariable = "PARALLAX_WORKER_MAX_PAYLOAD"
    /// Set in a worker's environment: the fingerprint of the task registry the pool wants served,
    /// in hexadecimal.
    package static let registryVariable = "PARALLAX_WORKER_REGISTRY"
    /// Set in a worker's environment: the worker's slot number in its pool.
    package static let slotVariable = "PARALLAX_WORKER_SLOT"
    /// The Swift runtime's backtracer settings used when the parent's environment sets none:
    /// no colours, no interaction, only the crashed thread, so the report fits a stderr tail.
    package static let backtraceSettings =
        "enable=yes,interactive=no,color=no,registers=none,images=none,threads=crashed,limit=24,sanitize=yes"

    /// The executable's path, as the worker's `argv[0]` and in messages.
    package var path: String
    /// What is executed: `path`, or for the running executable the image this process runs.
    package var program: String
    package var arguments: [String]
    package var environment: [String: String]
    /// The pool's lease board (``LeaseBoard``), passed to the worker as descriptor 5; -1 for none.
    package var leaseBoardFD: Int32 = -1

    package init(path: String, program: String? = nil, arguments: [String], environment: [String: String]) {
        self.path = path
        self.program = program ?? path
        self.arguments = arguments
        self.environment = environment
    }

    /// The environment for the worker in `slot`, with the channel variables added.
    package func environment(slot: Int) -> [String: String] {
        var environment = environment
        environment[Self.channelVariable] = "1"
        environment[Self.parentVariable] = String(getpid())
        environment[Self.slotVariable] = String(slot)
        if leaseBoardFD >= 0 { environment[LeaseDeadline.boardVariable] = "\(CPX_LEASE_BOARD_FD)" }
        if environment["SWIFT_BACKTRACE"] == nil {
            environment["SWIFT_BACKTRACE"] =
                Self.backtraceSettings + (Self.backtracerPath.map { ",swift-backtrace=\($0)" } ?? "")
        }
        return environment
    }

    /// The Swift runtime's backtracer from a toolchain on PATH. A statically linked executable
    /// does not find it on its own, and then prints only addresses; with it, crash reports name
    /// functions, files and lines.
    package static let backtracerPath: String? = {
        guard let path = getenv("PATH").map({ String(cString: $0) }) else { return nil }
        for directory in path.split(separator: ":") where access("\(directory)/swift", X_OK) == 0 {
            let candidate = "\(directory)/../libexec/swift/linux/swift-backtrace"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }()

    /// What starts the running executable again: `/proc/self/exe`, which names the image this
    /// process runs (in the child about to execute it, the same image) even after a deploy
    /// replaced or removed the file at its path, so a restarted worker runs the parent's own code
    /// and speaks its own wire; the path where there is no such link.
    package static var currentExecutableProgram: String {
        access("/proc/self/exe", X_OK) == 0 ? "/proc/self/exe" : currentExecutablePath
    }

    /// The path of the running executable.
    package static var currentExecutablePath: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if count > 0 {
            return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return CommandLine.arguments[0]
    }
}
