import ArgumentParser
import Parallax

#if canImport(Glibc)
    import Glibc
#endif

/// `demo --hosts N` is `parallax-cluster demo --hosts N`, and `chaos --postgres` is
/// `parallax-cluster chaos`: the queue across hosts needs
/// PostgresNIO, which this executable does without (it links the standard library statically and
/// stays free of Foundation). The two are built side by side.
enum ClusterDemo {
    static func exec(hosts: Int) throws -> Never {
        try exec(["demo", "--hosts", "\(hosts)"])
    }

    /// Replaces this process with `parallax-cluster` and `arguments`.
    static func exec(_ arguments: [String]) throws -> Never {
        var directory = WorkerLaunch.currentExecutablePath
        while let last = directory.last, last != "/" { directory.removeLast() }
        let cluster = directory + "parallax-cluster"
        let argv = [cluster] + arguments
        var pointers: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        execv(cluster, &pointers)
        for pointer in pointers { free(pointer) }
        print(
            "\(arguments.first ?? "") runs \(cluster), which is not built: `swift build --product parallax-cluster` first"
        )
        throw ExitCode(1)
    }
}
