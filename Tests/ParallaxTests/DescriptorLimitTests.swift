import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A pool of more workers than the process's soft limit of open files allows raises the limit
/// (within the hard one) instead of failing to start its workers.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct DescriptorLimitTests {
    @Test func aPoolOfMoreWorkersThanTheSoftLimitAllowsRaisesItAndStartsThemAll() throws {
        // 40 workers take about 280 descriptors in their parent; its soft limit starts at 128.
        let (pid, output) = try FileDescriptorPipe.startParent(
            workers: "idle", count: 40, environment: ["PARALLAX_TEST_NOFILE=128"])
        defer {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        let workers = try output.readWorkerPIDs()
        #expect(Set(workers).count == 40)
        let soft = try #require(Self.softLimitOfOpenFiles(pid))
        #expect(soft >= 40 * 7)
    }

    /// The soft limit of open files of `pid`, from `/proc/PID/limits`.
    static func softLimitOfOpenFiles(_ pid: pid_t) -> Int? {
        guard let file = fopen("/proc/\(pid)/limits", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix("Max open files") else { continue }
            return text.dropFirst("Max open files".count).split(separator: " ").first.flatMap { Int($0) }
        }
        return nil
    }
}
