public import Parallax
public import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The tasks the test suite runs in real worker processes. The test worker executable serves
/// exactly this registry.
public enum TestTasks {
    public static let registry: TaskRegistry = {
        var registry = TaskRegistry(
            Add.self, SumRange.self, Echo.self, Fail.self, FailDifferently.self, Crash.self, Sleep.self,
            Spin.self, Hang.self, HangIgnoringTerminate.self, AnnouncedSleep.self, Chatter.self, Rows.self,
            Text.self, Nest.self,
            NotANumber.self,
            WhoAmI.self, Snapshot.self, BootstrapCount.self, Fill.self, UseResource.self,
            Scale.self, WhoAmISlowly.self, CorruptChannel.self, AnswerSomeoneElse.self, Hoard.self,
            OpenFiles.self, ChatterThenCrash.self, ChatterThenHang.self, CrashUntil.self,
            OpenDescriptors.self,
            Misbehave.self, Environment.self, Credentials.self, CallService.self, RecordCalls.self,
            CallUntilRefused.self, SeesCancellation.self, StartChild.self, BumpProcessCounter.self,
            CrashWithMoreQueued.self, TracedWork.self
        )
        registry.register(square)
        registry.register(userStats)
        registry.register(reversed)
        registry.register(padded)
        registry.register(probe)
        registry.register(failOnSevens)
        registry.register(crashOnThirteen)
        registry.register(liveResource)
        registry.register(failOnSevensAsync)
        registry.register(TracingProbe.seenByMap)
        return registry
    }()

    /// A second, smaller registry that the test worker serves too, as an executable with two
    /// pools does.
    public static let secondRegistry = TaskRegistry(Echo.self, WhoAmI.self)

    /// A closure-style function.
    public static let square = TaskFunction("test.square") { (x: Int) in x * x }
    /// A static-method-style function.
    public static let userStats = TaskFunction("Report.userStats", Report.userStats)
    /// A function that needs nothing but the standard library.
    public static let reversed = TaskFunction("stdlib.reversed") { (text: String) in String(text.reversed()) }
    /// Answers its input twice over: an answer larger than the question.
    public static let padded = TaskFunction("test.padded") { (text: String) in text + text }

    /// Sleeps, and reports where and when it ran (CLOCK_MONOTONIC is shared by all processes).
    public static let probe = TaskFunction("test.probe") { (milliseconds: Int) async throws -> Probe in
        let start = Probe.now()
        try await Task.sleep(for: .milliseconds(milliseconds))
        return Probe(pid: getpid(), start: start, end: Probe.now())
    }

    /// Throws for multiples of seven.
    public static let failOnSevens = TaskFunction("test.failOnSevens") { (x: Int) throws -> Int in
        if x % 7 == 0 { throw QuotaExceeded(code: x, detail: "\(x) is a multiple of seven") }
        return x
    }

    /// ``failOnSevens`` with a suspension point, so that it runs through the asynchronous path.
    public static let failOnSevensAsync = TaskFunction("test.failOnSevensAsync") {
        (x: Int) async throws -> Int in
        await Task.yield()
        return try failOnSevensBody(x)
    }

    private static func failOnSevensBody(_ x: Int) throws -> Int {
        if x % 7 == 0 { throw QuotaExceeded(code: x, detail: "\(x) is a multiple of seven") }
        return x
    }

    /// Crashes its worker on 13.
    public static let crashOnThirteen = TaskFunction("test.crashOnThirteen") { (x: Int) -> Int in
        if x == 13 { fatalError("thirteen") }
        return x
    }

    /// Takes an input that cannot be encoded.
    public static let liveResource = TaskFunction("test.liveResource") { (resource: LiveResource) in
        Int(resource.descriptor)
    }

    /// Set in the worker environment to make the worker send a wrong handshake and wait.
    public static let badHandshakeVariable = "PARALLAX_TEST_BAD_HANDSHAKE"

    /// Sends a hello frame whose payload is not a handshake, then waits for the parent to stop
    /// this process: a worker that speaks another protocol.
    public static func sendBadHandshakeAndWait() -> Never {
        let frame = Frame(kind: .hello, id: 0, payload: Array("HELLO I AM NOT A PARALLAX WORKER".utf8))
            .encoded()
        _ = frame.withUnsafeBytes { write(4, $0.baseAddress, $0.count) }
        while true { pause() }
    }

    /// Set in the worker environment to make the bootstrap throw.
    public static let failBootstrapVariable = "PARALLAX_TEST_FAIL_BOOTSTRAP"

    /// How many times the bootstrap ran in this process.
    public static let bootstrapRuns = Atomic<Int>(0)

    /// The bootstrap of the test worker: counts its runs, and fails on request.
    public static func bootstrap() async throws {
        bootstrapRuns.add(1, ordering: .relaxed)
        _ = TestTracer.shared  // the worker's instrument, which extracts what the parent sends
        if getenv(failBootstrapVariable) != nil {
            throw BootstrapError(reason: "the test asked the bootstrap to fail")
        }
    }
}

public struct BootstrapError: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { "bootstrap refused: \(reason)" }
}

public enum Report {
    public struct Stats: Codable, Sendable, Equatable {
        public var userID: Int
        public var orders: Int
        public init(userID: Int, orders: Int) {
            self.userID = userID
            self.orders = orders
        }
    }

    public static func userStats(_ userID: Int) async throws -> Stats {
        Stats(userID: userID, orders: userID * 3)
    }
}

public struct Add: WorkerTask {
    public var a: Int
    public var b: Int
    public init(_ a: Int, _ b: Int) {
        self.a = a
        self.b = b
    }
    public func run(in context: WorkerContext) async throws -> Int { a + b }
}

public struct SumRange: WorkerTask {
    public var upperBound: Int
    public init(_ upperBound: Int) { self.upperBound = upperBound }
    public func run(in context: WorkerContext) async throws -> Int { (0..<upperBound).reduce(0, +) }
}

public struct Echo: WorkerTask {
    public var value: Int
    public init(_ value: Int) { self.value = value }
    public func run(in context: WorkerContext) async throws -> Int { value }
}

public struct QuotaExceeded: CodedError, CustomStringConvertible {
    public var code: Int
    public var detail: String
    public init(code: Int, detail: String) {
        self.code = code
        self.detail = detail
    }
    public var description: String { "quota exceeded: \(detail)" }
}

public struct Fail: WorkerTask {
    public var detail: String
    public var code: Int
    public init(_ detail: String, code: Int) {
        self.detail = detail
        self.code = code
    }
    public func run(in context: WorkerContext) async throws -> Int {
        throw QuotaExceeded(code: code, detail: detail)
    }
}

public enum ShardError: Int, Error {
    case offline = 12
    case corrupt = 13
}

public struct FailDifferently: WorkerTask {
    public init() {}
    public func run(in context: WorkerContext) async throws -> Int { throw ShardError.corrupt }
}

public struct Crash: WorkerTask {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case fatalError, forceUnwrapNil, indexOutOfRange, abort, segfault, exit3
    }
    public var kind: Kind
    public init(_ kind: Kind) { self.kind = kind }

    public func run(in context: WorkerContext) async throws -> Int {
        switch kind {
        case .fatalError:
            fatalError("the task gave up on purpose")
        case .forceUnwrapNil:
            let missing: Int? = Int("not a number")
            return missing!
        case .indexOutOfRange:
            let values = [1, 2, 3]
            return values[Int(getpid() % 1 + 7)]
        case .abort:
            abort()
        case .segfault:
            let pointer = UnsafeMutablePointer<Int>(bitPattern: 0x8)!
            pointer.pointee = 42
            return pointer.pointee
        case .exit3:
            exit(3)
        }
    }
}

public struct Sleep: WorkerTask {
    public var milliseconds: Int
    public init(milliseconds: Int) { self.milliseconds = milliseconds }
    public func run(in context: WorkerContext) async throws -> Int {
        try await Task.sleep(for: .milliseconds(milliseconds))
        return milliseconds
    }
}

/// Says `marker` on stdout, then sleeps, honouring cancellation: a test learns from the log that
/// it runs.
public struct AnnouncedSleep: WorkerTask {
    public var marker: String
    public var milliseconds: Int
    public init(marker: String, milliseconds: Int) {
        self.marker = marker
        self.milliseconds = milliseconds
    }
    public func run(in context: WorkerContext) async throws -> Int {
        print("stdout \(marker)")
        try await Task.sleep(for: .milliseconds(milliseconds))
        return milliseconds
    }
}

/// Whether the task was cancelled when it ran: a task sent after a cancelled one must not be.
public struct SeesCancellation: WorkerTask {
    public init() {}
    public func run(in context: WorkerContext) async throws -> Bool { Task.isCancelled }
}

/// CPU work of a fixed size, so serial and parallel runs do the same work.
public struct Spin: WorkerTask {
    public var iterations: Int
    public init(iterations: Int) { self.iterations = iterations }
    public func run(in context: WorkerContext) async throws -> UInt64 { Spin.work(iterations) }

    public static func work(_ iterations: Int) -> UInt64 {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<iterations {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
        }
        return state
    }
}

/// Never returns: blocks its worker until the worker is killed.
public struct Hang: WorkerTask {
    public init() {}
    public func run(in context: WorkerContext) async throws -> Int {
        while true { pause() }
    }
}

/// Ignores SIGTERM, says so on stdout, then never returns: only SIGKILL ends its worker.
public struct HangIgnoringTerminate: WorkerTask {
    public init() {}
    public func run(in context: WorkerContext) async throws -> Int {
        signal(SIGTERM, SIG_IGN)
        print("stdout ignoring SIGTERM")
        while true { pause() }
    }
}

/// Prints to stdout and stderr, including text that looks like a frame.
public struct Chatter: WorkerTask {
    public var marker: String
    public init(marker: String) { self.marker = marker }
    public func run(in context: WorkerContext) async throws -> String {
        print("stdout \(marker)")
        print("\u{0}\u{0}\u{0}\u{9}\u{3}garbage that looks like a frame header")
        let line = Array("stderr \(marker)\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        return marker
    }
}

public struct Row: Codable, Sendable, Equatable {
    public var id: Int
    public var name: String
    public var score: Double
    public init(id: Int, name: String, score: Double) {
        self.id = id
        self.name = name
        self.score = score
    }
}

public struct Rows: WorkerTask {
    public var count: Int
    public init(count: Int) { self.count = count }
    public func run(in context: WorkerContext) async throws -> [Row] {
        (0..<count).map { Row(id: $0, name: "row-\($0)", score: Double($0) / 4) }
    }
}

/// Returns a string of `length` bytes built from `seed`.
public struct Text: WorkerTask {
    public var length: Int
    public var seed: Int
    public init(length: Int, seed: Int) {
        self.length = length
        self.seed = seed
    }
    public func run(in context: WorkerContext) async throws -> String {
        Text.make(length: length, seed: seed)
    }

    public static func make(length: Int, seed: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789 ".utf8)
        var state = UInt64(truncatingIfNeeded: seed) &+ 1
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        for _ in 0..<length {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes.append(alphabet[Int(state >> 33) % alphabet.count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

public indirect enum Tree: Codable, Sendable, Equatable {
    case leaf(Int)
    case node(level: Int, child: Tree)

    public static func chain(depth: Int) -> Tree {
        (0..<depth).reduce(Tree.leaf(depth)) { tree, level in .node(level: level, child: tree) }
    }
}

public struct Nest: WorkerTask {
    public var depth: Int
    public init(depth: Int) { self.depth = depth }
    public func run(in context: WorkerContext) async throws -> Tree { Tree.chain(depth: depth) }
}

/// Returns a value that has no wire form.
public struct NotANumber: WorkerTask {
    public init() {}
    public func run(in context: WorkerContext) async throws -> LiveResource { LiveResource(descriptor: 3) }
}

public struct WhoAmI: WorkerTask {
    public init() {}
    public func run(in context: WorkerContext) async throws -> Int32 { getpid() }
}

/// Returns the worker's pid after a pause, so that concurrent calls land on different workers.
public struct WhoAmISlowly: WorkerTask {
    public init() {}
    public func run(in context: WorkerContext) async throws -> Int32 {
        try await Task.sleep(for: .milliseconds(300))
        return getpid()
    }
}

/// Bumps a counter global to the process it runs in and returns the new count: the parent's own
/// counter stays as it was unless the task ran in the parent.
public struct BumpProcessCounter: WorkerTask {
    public static let counter = Atomic<Int>(0)
    public init() {}
    public func run(in context: WorkerContext) async throws -> Int {
        Self.counter.wrappingAdd(1, ordering: .relaxed).newValue
    }
}

public struct Snapshot: WorkerTask {
    public var number: Int
    public var values: [Int]
    public var tag: String
    public init(number: Int, values: [Int], tag: String) {
        self.number = number
        self.values = values
        self.tag = tag
    }
    public func run(in context: WorkerContext) async throws -> [String] {
        ["\(tag)=\(number)", values.map(String.init).joined(separator: ",")]
    }
}

public struct BootstrapCount: WorkerTask {
    public init() {}
    public func run(in context: WorkerContext) async throws -> Int {
        TestTasks.bootstrapRuns.load(ordering: .relaxed)
    }
}

/// Allocates and touches `megabytes` of memory, then returns how many it touched.
public struct Fill: WorkerTask {
    public var megabytes: Int
    public init(megabytes: Int) { self.megabytes = megabytes }
    public func run(in context: WorkerContext) async throws -> Int {
        var blocks: [[UInt8]] = []
        for _ in 0..<megabytes { blocks.append([UInt8](repeating: 1, count: 1 << 20)) }
        return blocks.count
    }
}

/// Never registered: the parent must refuse it at `go`.
public struct Unregistered: WorkerTask {
    public init() {}
    public func run(in context: WorkerContext) async throws -> Int { 0 }
}

/// An input that has no wire form, like a live file handle.
public struct LiveResource: Codable, Sendable {
    public var descriptor: Int32
    public init(descriptor: Int32) { self.descriptor = descriptor }
    public func encode(to encoder: any Encoder) throws {
        throw EncodingError.invalidValue(
            descriptor,
            EncodingError.Context(
                codingPath: [], debugDescription: "an open file descriptor has no wire form"))
    }
}

public struct UseResource: WorkerTask {
    public var resource: LiveResource
    public init(resource: LiveResource) { self.resource = resource }
    public func run(in context: WorkerContext) async throws -> Int { Int(resource.descriptor) }
}

/// A task whose input refuses to encode a factor that is not finite.
public struct Scale: WorkerTask {
    public var factor: Double
    public init(factor: Double) { self.factor = factor }
    public func run(in context: WorkerContext) async throws -> Double { factor * 2 }

    enum CodingKeys: String, CodingKey { case factor }

    public init(from decoder: any Decoder) throws {
        factor = try decoder.container(keyedBy: CodingKeys.self).decode(Double.self, forKey: .factor)
    }

    public func encode(to encoder: any Encoder) throws {
        guard factor.isFinite else {
            throw EncodingError.invalidValue(
                factor,
                EncodingError.Context(
                    codingPath: [CodingKeys.factor], debugDescription: "the factor must be finite"))
        }
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(factor, forKey: .factor)
    }
}

/// Writes bytes that are not a frame to the worker's reply channel, as a broken worker would.
public struct CorruptChannel: WorkerTask {
    public init() {}
    public func run(in context: WorkerContext) async throws -> Int {
        let garbage: [UInt8] = [0xFF, 0xFF, 0xFF, 0x7F, 0x63] + Array("not a frame".utf8)
        _ = garbage.withUnsafeBytes { write(4, $0.baseAddress, $0.count) }
        try await Task.sleep(for: .seconds(30))
        return 0
    }
}

/// Sends a well-formed result for a task id the worker was never given, as a confused worker would.
public struct AnswerSomeoneElse: WorkerTask {
    public init() {}
    public func run(in context: WorkerContext) async throws -> Int {
        let frame = Frame(kind: .result, id: context.taskID &+ 1_000_000, payload: Array("1".utf8)).encoded()
        _ = frame.withUnsafeBytes { write(4, $0.baseAddress, $0.count) }
        try await Task.sleep(for: .seconds(30))
        return 0
    }
}

/// Where and when a task ran.
public struct Probe: Codable, Sendable {
    public var pid: Int32
    public var start: UInt64
    public var end: UInt64

    /// Nanoseconds on the monotonic clock, which every process on the machine shares.
    public static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

/// Keeps `megabytes` of touched memory alive in its worker after it returns, as a leak would.
public struct Hoard: WorkerTask {
    public var megabytes: Int
    public init(megabytes: Int) { self.megabytes = megabytes }
    public func run(in context: WorkerContext) async throws -> Int {
        for _ in 0..<megabytes { Hoard.kept.withLock { $0.append([UInt8](repeating: 1, count: 1 << 20)) } }
        return Hoard.kept.withLock { $0.count }
    }

    static let kept = Locked<[[UInt8]]>([])
}

/// Opens /dev/null `count` times and reports how many opened; closes them all.
public struct OpenFiles: WorkerTask {
    public var count: Int
    public init(count: Int) { self.count = count }
    public func run(in context: WorkerContext) async throws -> Int {
        var opened: [Int32] = []
        for _ in 0..<count {
            let fd = open("/dev/null", O_RDONLY)
            if fd < 0 { break }
            opened.append(fd)
        }
        for fd in opened { close(fd) }
        return opened.count
    }
}

/// Prints a marker, then crashes its worker: a poison input, to count how often it runs.
public struct ChatterThenCrash: WorkerTask {
    public var marker: String
    public init(marker: String) { self.marker = marker }
    public func run(in context: WorkerContext) async throws -> Int {
        print("stdout \(marker)")
        fatalError("poison input \(marker)")
    }
}

/// Prints a marker, then blocks its worker for good, ignoring cancellation.
public struct ChatterThenHang: WorkerTask {
    public var marker: String
    public init(marker: String) { self.marker = marker }
    public func run(in context: WorkerContext) async throws -> Int {
        print("stdout \(marker)")
        while true { pause() }
    }
}

/// Counts its runs in a file, and crashes its worker until the count reaches `succeedOn`.
public struct CrashUntil: WorkerTask {
    public var path: String
    public var succeedOn: Int
    public init(path: String, succeedOn: Int) {
        self.path = path
        self.succeedOn = succeedOn
    }
    public func run(in context: WorkerContext) async throws -> Int {
        let runs = CrashUntil.increment(path)
        if runs < succeedOn { exit(9) }
        return runs
    }

    /// Adds one to the count in `path` and returns it.
    @discardableResult
    public static func increment(_ path: String) -> Int {
        let runs = count(path) + 1
        let text = Array(String(runs).utf8)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return runs
    }

    /// The count in `path`, 0 when there is none.
    public static func count(_ path: String) -> Int {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let read = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        return Int(String(decoding: buffer[..<max(0, read)], as: UTF8.self)) ?? 0
    }
}

/// Counts its run in the file at `path`, waits until another frame is waiting unread in the
/// worker's request pipe (descriptor 3), then ends its worker: a worker that dies with a task
/// sent ahead still in the pipe.
public struct CrashWithMoreQueued: WorkerTask {
    public var path: String
    public init(path: String) { self.path = path }
    public func run(in context: WorkerContext) async throws -> Int {
        CrashUntil.increment(path)
        var waiting: Int32 = 0
        for _ in 0..<10_000 where waiting == 0 {
            _ = ioctl(3, UInt(FIONREAD), &waiting)
            if waiting == 0 { usleep(1_000) }
        }
        exit(9)
    }
}

/// Lists what the worker's open descriptors point to.
public struct OpenDescriptors: WorkerTask {
    public init() {}
    public func run(in context: WorkerContext) async throws -> [String] {
        guard let directory = opendir("/proc/self/fd") else { return [] }
        defer { closedir(directory) }
        var targets: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard Int(name) != nil else { continue }
            var buffer = [CChar](repeating: 0, count: 4_096)
            let count = readlink("/proc/self/fd/\(name)", &buffer, buffer.count - 1)
            if count > 0 {
                targets.append(
                    String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
        }
        return targets
    }
}

/// Writes bytes that break the protocol to the reply channel, as a buggy or hostile worker would,
/// then waits (or, for a truncated frame, exits): the parent must fail the task with a protocol
/// error, replace the worker, and allocate nothing a header claims.
public struct Misbehave: WorkerTask {
    public enum Mode: String, Codable, Sendable, CaseIterable {
        /// Printable text where a frame header belongs.
        case garbage
        /// A header for 100 bytes, 20 bytes of it, then the process exits.
        case truncatedFrame
        /// A header that claims 3.5 GiB.
        case hugeHeader
        /// A well-formed frame of a kind that does not exist.
        case unknownKind
        /// A length shorter than a frame header.
        case shortLength
    }

    public var mode: Mode
    public init(_ mode: Mode) { self.mode = mode }

    public func run(in context: WorkerContext) async throws -> Int {
        func little<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
            withUnsafeBytes(of: value.littleEndian) { Array($0) }
        }
        let bytes: [UInt8]
        switch mode {
        case .garbage:
            bytes = Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello".utf8)
        case .truncatedFrame:
            bytes =
                little(UInt32(100)) + [Frame.Kind.result.rawValue] + little(context.taskID)
                + [UInt8](repeating: 1, count: 11)
        case .hugeHeader:
            bytes = little(UInt32(0xE000_0000)) + [Frame.Kind.result.rawValue] + little(context.taskID)
        case .unknownKind:
            bytes = little(UInt32(9 + 4)) + [99] + little(context.taskID) + [1, 2, 3, 4]
        case .shortLength:
            bytes = little(UInt32(3)) + [Frame.Kind.result.rawValue]
        }
        _ = bytes.withUnsafeBytes { write(4, $0.baseAddress, $0.count) }
        if mode == .truncatedFrame { _exit(0) }
        try await Task.sleep(for: .seconds(30))
        return 0
    }
}

/// The worker's environment.
public struct Environment: WorkerTask {
    public init() {}
    public func run(in context: WorkerContext) async throws -> [String: String] {
        WorkerEnvironment.current
    }
}

/// The worker's user, group, supplementary groups and no_new_privs flag.
public struct Credentials: WorkerTask {
    public struct Answer: Codable, Sendable, Equatable {
        public var userID: UInt32
        public var groupID: UInt32
        public var supplementaryGroups: Int
        public var noNewPrivileges: Bool
    }

    public init() {}
    public func run(in context: WorkerContext) async throws -> Answer {
        var status: [UInt8] = []
        let descriptor = open("/proc/self/status", O_RDONLY)
        if descriptor >= 0 {
            defer { close(descriptor) }
            var chunk = [UInt8](repeating: 0, count: 4_096)
            while true {
                let count = read(descriptor, &chunk, chunk.count)
                if count <= 0 { break }
                status += chunk[..<count]
            }
        }
        let noNewPrivileges = String(decoding: status, as: UTF8.self).split(separator: "\n").contains {
            $0.hasPrefix("NoNewPrivs:") && $0.hasSuffix("1")
        }
        return Answer(
            userID: getuid(), groupID: getgid(), supplementaryGroups: Int(getgroups(0, nil)),
            noNewPrivileges: noNewPrivileges)
    }
}
