import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// The chaos run's hosts in network namespaces of their own, where the machine allows it (root,
/// iproute2): each host reaches the database server of this machine through a router namespace,
/// so that a partition is a real one. The router drops every packet to and from the host without
/// a word (blackhole rules): its connections hang instead of failing, new ones time out, and both
/// carry on when the partition heals.
///
/// Addresses: the server's side `10.B.0.1`, the router `10.B.0.2` and `10.B.N.1`, host N
/// `10.B.N.2`, where B is 100 + this process's id modulo 100. Namespaces and links are named
/// after the process (`pxc<pid>-r`, `pxc<pid>-N`); those of runs that died are removed first.
final class ChaosNetwork: Sendable {
    let hosts: Int
    private let tag: String
    private let prefix: String
    private let log: String

    /// The address the database server listens on for the hosts.
    var serverAddress: String { "\(prefix).0.1" }

    /// The hosts' addresses, for the server's access rules.
    var clients: String { "\(prefix).0.0/16" }

    /// The command prefix that runs a program in host `number`'s namespace.
    func launcher(host number: Int) -> [String] { [Self.ip, "netns", "exec", "\(tag)-\(number)"] }

    private init(hosts: Int, log: String) {
        let pid = getpid()
        self.hosts = hosts
        self.log = log
        tag = "pxc\(pid)"
        prefix = "10.\(100 + pid % 100)"
    }

    /// Builds the namespaces, or says why it cannot.
    /// - Parameter log: The file the output of `ip` is appended to.
    static func make(hosts: Int, log: String) -> Swift.Result<ChaosNetwork, ChaosFailure> {
        guard getuid() == 0 else { return .failure(ChaosFailure("network namespaces need root")) }
        guard FileManager.default.isExecutableFile(atPath: ip) else {
            return .failure(ChaosFailure("\(ip) is missing (apt-get install iproute2)"))
        }
        removeAbandoned(log: log)
        let network = ChaosNetwork(hosts: hosts, log: log)
        do {
            try network.build()
            return .success(network)
        } catch {
            network.remove()
            return .failure(error as? ChaosFailure ?? ChaosFailure("\(error)"))
        }
    }

    private func build() throws {
        let (tag, prefix) = (tag, prefix)
        let router = "\(tag)-r"
        try run(["netns", "add", router])
        try run(["link", "add", tag, "type", "veth", "peer", "name", "\(tag)r", "netns", router])
        try run(["addr", "add", "\(prefix).0.1/30", "dev", tag])
        try run(["link", "set", tag, "up"])
        try run(["-n", router, "addr", "add", "\(prefix).0.2/30", "dev", "\(tag)r"])
        try run(["-n", router, "link", "set", "\(tag)r", "up"])
        try run(["-n", router, "link", "set", "lo", "up"])
        try run(["netns", "exec", router, "/bin/sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"])
        try run(["route", "add", "\(prefix).0.0/16", "via", "\(prefix).0.2"])
        for number in 1...hosts {
            let namespace = "\(tag)-\(number)"
            try run(["netns", "add", namespace])
            try run([
                "-n", router, "link", "add", "\(tag)h\(number)", "type", "veth", "peer", "name",
                "\(tag)n\(number)",
                "netns", namespace,
            ])
            try run(["-n", router, "addr", "add", "\(prefix).\(number).1/30", "dev", "\(tag)h\(number)"])
            try run(["-n", router, "link", "set", "\(tag)h\(number)", "up"])
            try run(["-n", namespace, "addr", "add", "\(prefix).\(number).2/30", "dev", "\(tag)n\(number)"])
            try run(["-n", namespace, "link", "set", "\(tag)n\(number)", "up"])
            try run(["-n", namespace, "link", "set", "lo", "up"])
            try run(["-n", namespace, "route", "add", "default", "via", "\(prefix).\(number).1"])
        }
    }

    /// Cuts host `number` off: the router drops what it sends and what is sent to it.
    func partition(host number: Int) throws {
        try run([
            "-n", "\(tag)-r", "rule", "add", "pref", "\(100 + 2 * number)", "iif", "\(tag)h\(number)",
            "blackhole",
        ])
        try run([
            "-n", "\(tag)-r", "rule", "add", "pref", "\(101 + 2 * number)", "to", "\(prefix).\(number).2",
            "blackhole",
        ])
    }

    /// Ends the partition of host `number`.
    func heal(host number: Int) throws {
        try run(["-n", "\(tag)-r", "rule", "del", "pref", "\(100 + 2 * number)"])
        try run(["-n", "\(tag)-r", "rule", "del", "pref", "\(101 + 2 * number)"])
    }

    /// Removes the namespaces and the link to the router (processes still inside keep theirs
    /// until they end).
    func remove() {
        for number in 1...hosts { _ = try? run(["netns", "del", "\(tag)-\(number)"], quietly: true) }
        _ = try? run(["netns", "del", "\(tag)-r"], quietly: true)
        _ = try? run(["link", "del", tag], quietly: true)
    }

    /// Removes the namespaces of chaos runs whose process is gone.
    private static func removeAbandoned(log: String) {
        let listing = log + ".netns"
        defer { unlink(listing) }
        guard (try? command(["netns", "list"], output: listing)) != nil,
            let text = try? String(contentsOfFile: listing, encoding: .utf8)
        else { return }
        for line in text.split(separator: "\n") {
            guard let name = line.split(separator: " ").first, name.hasPrefix("pxc"),
                let dash = name.firstIndex(of: "-"),
                let pid = Int32(name[name.index(name.startIndex, offsetBy: 3)..<dash])
            else { continue }
            if kill(pid, 0) != 0, errno == ESRCH {
                _ = try? command(["netns", "del", String(name)], output: log)
                _ = try? command(["link", "del", "pxc\(pid)"], output: log)
            }
        }
    }

    private static var ip: String {
        ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        } ?? "/usr/sbin/ip"
    }

    private func run(_ arguments: [String], quietly: Bool = false) throws {
        try Self.command(arguments, output: quietly ? "/dev/null" : log)
    }

    private static func command(_ arguments: [String], output: String) throws {
        let process = try HostProcess(executable: ip, arguments: arguments, output: output)
        guard process.waitForExit() else {
            throw ChaosFailure("ip \(arguments.joined(separator: " ")) failed (see \(output))")
        }
    }
}
