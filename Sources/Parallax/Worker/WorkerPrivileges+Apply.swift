import CParallaxSystem

#if canImport(Glibc)
    import Glibc
#endif

/// The worker side of ``WorkerPrivileges``: dropping to them in the worker's own process.
extension WorkerPrivileges {
    /// Switches group and user and sets no_new_privs as the parent asked in the environment.
    /// - Parameter pid: This process, named in the failure.
    /// - Returns: Why that failed, if it did.
    static func applyFromEnvironment(pid: Int32) -> TaskError? {
        guard let value = getenv(WorkerLaunch.privilegesVariable).map({ String(cString: $0) }) else {
            return nil
        }
        func failure(_ what: String) -> TaskError {
            TaskError.privilegesNotDropped("\(what): \(String(cString: strerror(errno)))", workerPID: pid)
        }
        guard let privileges = WorkerPrivileges(environmentValue: value) else {
            return TaskError.privilegesNotDropped("read its privileges '\(value)'", workerPID: pid)
        }
        // Group before user: once the user is not root, the group can no longer change.
        if let group = privileges.groupID {
            guard setgroups(0, nil) == 0 else { return failure("drop its supplementary groups") }
            guard setgid(gid_t(group)) == 0 else { return failure("switch to group \(group)") }
        }
        if let user = privileges.userID {
            guard setuid(uid_t(user)) == 0 else { return failure("switch to user \(user)") }
        }
        if privileges.noNewPrivileges {
            guard cpx_set_no_new_privs() == 0 else { return failure("set no_new_privs") }
        }
        return nil
    }
}
