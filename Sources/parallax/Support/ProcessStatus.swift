#if canImport(Glibc)
    import Glibc
#endif

/// What /proc says about this process and its children.
enum ProcessStatus {
    /// This process's open descriptors.
    static func openDescriptors() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return -1 }
        defer { closedir(directory) }
        var count = 0
        while readdir(directory) != nil { count += 1 }
        return count - 3  // ".", ".." and the directory's own descriptor
    }

    /// What each open descriptor of this process refers to, by descriptor number.
    static func descriptorTargets() -> [Int32: String] {
        guard let directory = opendir("/proc/self/fd") else { return [:] }
        defer { closedir(directory) }
        let own = dirfd(directory)
        var targets: [Int32: String] = [:]
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let descriptor = Int32(name), descriptor != own else { continue }
            var buffer = [CChar](repeating: 0, count: 4_096)
            let count = readlink("/proc/self/fd/\(name)", &buffer, buffer.count - 1)
            targets[descriptor] =
                count > 0
                ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
        }
        return targets
    }

    /// A process and its state letter (`R`, `S`, `Z` for a zombie, ...).
    struct Process: Equatable {
        var pid: Int32
        var state: Character
    }

    /// The processes whose parent is this process, zombies included.
    static func children() -> [Process] {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        let me = getpid()
        var children: [Process] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = Int32(name), let stat = status(of: pid), stat.parent == me else { continue }
            children.append(Process(pid: pid, state: stat.state))
        }
        return children
    }

    /// The state and parent of `pid`, or nil when there is no such process.
    static func status(of pid: Int32) -> (state: Character, parent: Int32)? {
        let descriptor = open("/proc/\(pid)/stat", O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 1_024)
        let count = read(descriptor, &buffer, buffer.count)
        guard count > 0 else { return nil }
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count >= 2, let state = fields[0].first, let parent = Int32(fields[1]) else {
            return nil
        }
        return (state, parent)
    }
}
