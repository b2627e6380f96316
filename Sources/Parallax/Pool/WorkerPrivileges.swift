#if canImport(Glibc)
    import Glibc
#endif

/// The user and group a pool's workers run as, and whether they may ever gain privileges.
///
/// A worker applies these to itself before it takes work, after its resource limits: it drops
/// supplementary groups and switches group, then user, then sets `no_new_privs`, so that neither
/// it nor a program it starts can gain privileges through a setuid binary or file capabilities.
/// Switching user needs a parent that runs as root; a worker that cannot apply a setting fails to
/// start with a ``/ParallaxWire/TaskError/Reason/privilegesNotDropped`` error, which the pool's supervision
/// handles like any start
/// failure.
///
/// ```swift
/// var configuration = WorkerPool.Configuration.default
/// configuration.privileges = .user(65534, group: 65534)   // nobody:nogroup, no_new_privs
/// ```
public struct WorkerPrivileges: Sendable, Hashable {
    /// The user id the workers switch to, or nil to keep the parent's.
    public var userID: UInt32?
    /// The group id the workers switch to, or nil to keep the parent's.
    public var groupID: UInt32?
    /// Whether the workers set `no_new_privs` on themselves.
    public var noNewPrivileges: Bool

    /// Creates a setting.
    /// - Parameters:
    ///   - userID: The user id the workers switch to, or nil to keep the parent's.
    ///   - groupID: The group id the workers switch to, or nil to keep the parent's.
    ///   - noNewPrivileges: Whether the workers set `no_new_privs` on themselves.
    public init(userID: UInt32? = nil, groupID: UInt32? = nil, noNewPrivileges: Bool = false) {
        self.userID = userID
        self.groupID = groupID
        self.noNewPrivileges = noNewPrivileges
    }

    /// The parent's user and group, and no restriction: what a child process gets by default.
    public static var `default`: WorkerPrivileges { WorkerPrivileges() }

    /// The parent's user and group, with `no_new_privs`.
    public static var noNewPrivileges: WorkerPrivileges { WorkerPrivileges(noNewPrivileges: true) }

    /// Another user and group, with `no_new_privs`; the parent must run as root.
    /// - Parameters:
    ///   - userID: The user id.
    ///   - group: The group id.
    /// - Returns: The setting.
    public static func user(_ userID: UInt32, group: UInt32) -> WorkerPrivileges {
        WorkerPrivileges(userID: userID, groupID: group, noNewPrivileges: true)
    }

    /// The environment value that carries the setting to a worker, or nil when there is nothing
    /// to apply.
    package var environmentValue: String? {
        EnvironmentFields.join([
            ("uid", userID.map(String.init)), ("gid", groupID.map(String.init)),
            ("nnp", noNewPrivileges ? "1" : nil),
        ])
    }

    /// Reads a setting from an environment value.
    package init?(environmentValue: String) {
        self.init()
        guard let fields = EnvironmentFields.split(environmentValue) else { return nil }
        for (key, text) in fields {
            guard let number = UInt32(text) else { return nil }
            switch key {
            case "uid": userID = number
            case "gid": groupID = number
            case "nnp": noNewPrivileges = number != 0
            default: return nil
            }
        }
    }
}
