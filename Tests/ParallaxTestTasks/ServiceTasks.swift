public import Parallax

#if canImport(Glibc)
    import Glibc
#endif

/// The service methods the tests' parent offers, shared by the tests and the worker tasks.
public enum TestServices {
    /// Answers "parent: " and its input.
    public static let echo = ServiceMethod<String, String>("test.echo")
    /// Throws ``QuotaExceeded`` with its input as the code.
    public static let fail = ServiceMethod<Int, Int>("test.fail")
    /// Sleeps its input in milliseconds, then answers it.
    public static let slow = ServiceMethod<Int, Int>("test.slow")
    /// Records a caller's sequence number and answers how many it recorded.
    public static let record = ServiceMethod<Recorded, Int>("test.record")
    /// Never registered in the parent.
    public static let missing = ServiceMethod<Int, Int>("test.missing")
    /// Records its input in the parent; answers nothing.
    public static let note = ServiceMethod<String, Void>("test.note")
    /// Answers nothing but an error: ``QuotaExceeded`` with its input as the code.
    public static let refuse = ServiceMethod<Int, Void>("test.refuse")

    public struct Recorded: Codable, Sendable, Equatable {
        public var caller: Int
        public var sequence: Int
        public init(caller: Int, sequence: Int) {
            self.caller = caller
            self.sequence = sequence
        }
    }
}

/// What a service call ended with, as a task reports it.
public struct CallOutcome: Codable, Sendable {
    public var value: String?
    public var error: ServiceError?
    public var calls = 1
}

/// Calls one service method from a worker task and reports the outcome.
public struct CallService: WorkerTask {
    public enum Call: Codable, Sendable {
        case echo(String)
        /// Echoes a text of this many bytes, made in the worker.
        case echoOfLength(Int)
        case fail(code: Int)
        /// Calls ``TestServices/note``; answers "noted".
        case note(String)
        /// Calls ``TestServices/refuse``.
        case refuse(code: Int)
        case slow(milliseconds: Int, timeoutMilliseconds: Int?)
        case missing
    }

    public var call: Call
    public init(_ call: Call) { self.call = call }

    public func run(in context: WorkerContext) async throws -> CallOutcome {
        do {
            switch call {
            case .echo(let text):
                return CallOutcome(value: try await context.services.call(TestServices.echo, text))
            case .echoOfLength(let length):
                let text = String(repeating: "z", count: length)
                return CallOutcome(value: try await context.services.call(TestServices.echo, text))
            case .fail(let code):
                return CallOutcome(value: String(try await context.services.call(TestServices.fail, code)))
            case .note(let text):
                try await context.services.call(TestServices.note, text)
                return CallOutcome(value: "noted")
            case .refuse(let code):
                try await context.services.call(TestServices.refuse, code)
                return CallOutcome(value: "not refused")
            case .slow(let milliseconds, let timeout):
                let value = try await context.services.call(
                    TestServices.slow, milliseconds, timeout: timeout.map { .milliseconds($0) })
                return CallOutcome(value: String(value))
            case .missing:
                return CallOutcome(value: String(try await context.services.call(TestServices.missing, 1)))
            }
        } catch {
            return CallOutcome(error: error)
        }
    }
}

/// Makes `count` calls in a row to ``TestServices/record`` as `caller`; returns how many were
/// answered with the right count.
public struct RecordCalls: WorkerTask {
    public var caller: Int
    public var count: Int
    public init(caller: Int, count: Int) {
        self.caller = caller
        self.count = count
    }

    public func run(in context: WorkerContext) async throws -> Int {
        var answered = 0
        for sequence in 0..<count {
            let recorded = try await context.services.call(
                TestServices.record, TestServices.Recorded(caller: caller, sequence: sequence))
            if recorded == sequence + 1 { answered += 1 }
        }
        return answered
    }
}

/// Calls ``TestServices/echo`` until a call fails; reports how many succeeded and the error.
public struct CallUntilRefused: WorkerTask {
    public init() {}
    public func run(in context: WorkerContext) async throws -> CallOutcome {
        var calls = 0
        while true {
            do {
                _ = try await context.services.call(TestServices.echo, "again")
                calls += 1
            } catch {
                return CallOutcome(error: error, calls: calls)
            }
        }
    }
}
