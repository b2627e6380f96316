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
        // The parent prints once its first tasks are answered, which some workers may all have
        // taken while others still start (slowly under a sanitizer): count its worker children.
        _ = try output.readWorkerPIDs()
        let soft = try #require(Self.softLimitOfOpenFiles(pid))
        #expect(soft >= 40 * 7)
        var workers = 0
        let start = ContinuousClock.now
        while workers < 40, ContinuousClock.now - start < .seconds(30) {
            workers = ReplacedExecutableTests.children(of: pid).filter(ReplacedExecutableTests.isWorker).count
            if workers < 40 { usleep(20_000) }
        }
        #expect(workers == 40, "the parent has \(workers) workers")
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
