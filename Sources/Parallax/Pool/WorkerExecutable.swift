/// Which program a pool starts as its workers.
public struct WorkerExecutable: Sendable, Hashable {
    package enum Storage: Sendable, Hashable {
        case current(arguments: [String])
        case path(String, arguments: [String])
    }

    package let storage: Storage

    /// The running executable, started again in worker mode. Its `main` must call
    /// ``Worker/serveIfWorker(_:bootstrap:)-(TaskRegistry,_)`` before anything else. Workers are
    /// started from the image the parent runs, so a deploy that replaces or removes the file
    /// does not stop the pool from restarting a worker, nor start one with other code.
    public static let current = WorkerExecutable(storage: .current(arguments: []))

    /// The running executable with extra arguments.
    /// - Parameter arguments: Arguments after the program name.
    /// - Returns: The executable choice.
    public static func current(arguments: [String]) -> WorkerExecutable {
        WorkerExecutable(storage: .current(arguments: arguments))
    }

    /// A dedicated worker executable, whose `main` calls ``Worker/serveIfWorker(_:bootstrap:)-(TaskRegistry,_)``
    /// with the same registry as the parent.
    /// - Parameters:
    ///   - path: The executable's path.
    ///   - arguments: Arguments after the program name.
    /// - Returns: The executable choice.
    public static func path(_ path: String, arguments: [String] = []) -> WorkerExecutable {
        WorkerExecutable(storage: .path(path, arguments: arguments))
    }

    package func launch(environment: [String: String]) -> WorkerLaunch {
        switch storage {
        case .current(let arguments):
            WorkerLaunch(
                path: WorkerLaunch.currentExecutablePath, program: WorkerLaunch.currentExecutableProgram,
                arguments: arguments, environment: environment)
        case .path(let path, let arguments):
            WorkerLaunch(path: path, arguments: arguments, environment: environment)
        }
    }
}
