// The properties the fuzzers check, shared by the libFuzzer entry points in Fuzz/ (compiled with
// the wire sources into one module, without Parallax) and by the test that replays the committed
// corpus (where the wire types come from Parallax).
#if canImport(Parallax)
    import Parallax
#endif

/// What must hold for any bytes a peer can send.
enum WireFuzzing {
    /// A property that did not hold.
    struct Violation: Error, CustomStringConvertible {
        var description: String
    }

    private static func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(Violation) {
        if !condition { throw Violation(description: message()) }
    }

    /// The frame decoder and every payload parser, on bytes from a peer: nothing traps, nothing
    /// returns a frame above the limit, and the decoder holds no more than it was given.
    static func checkFrames(_ data: [UInt8]) throws(Violation) {
        guard let first = data.first else { return }
        let limit = 1 << 16
        var decoder = FrameDecoder(maximumFrameSize: limit)
        // The first byte picks how the rest is split into reads, as a pipe would deliver it.
        let chunk = Int(first % 32) + 1
        var offset = 1
        var given = 0
        while offset < data.count {
            let end = min(data.count, offset + chunk)
            decoder.append(Array(data[offset..<end]))
            given += end - offset
            offset = end
            do {
                while let frame = try decoder.next() {
                    try require(frame.payload.count + 9 <= limit, "a frame above the limit came out")
                    parsePayloads(frame)
                }
            } catch {
                return  // a typed protocol error: the connection would end here
            }
            try require(decoder.bufferedByteCount <= given, "the decoder holds more than it was given")
        }
    }

    private static func parsePayloads(_ frame: Frame) {
        _ = try? RunRequest(frame: frame)
        _ = try? Handshake(frame: frame)
        _ = try? BatchPayload.Request(frame.payload)
        _ = try? BatchPayload.Outcomes(frame.payload, expected: Int(frame.id % 300))
        _ = try? BinaryDecoder.decode(TaskError.self, from: frame.payload)
        _ = try? ServicePayload.Call(frame.payload)
        _ = try? TracedPayload(frame)
        _ = ServicePayload.outcome(frame.payload, method: "fuzz")
    }

    /// The binary codec, on bytes from a peer: decoding never traps, and whatever decodes
    /// encodes back to a value that decodes to the same thing.
    static func checkCodec(_ data: [UInt8]) throws(Violation) {
        guard let first = data.first else { return }
        let bytes = Array(data.dropFirst())
        switch first % 8 {
        case 0: try roundTrip(Shape.self, bytes)
        case 1: try roundTrip([String: [Int]].self, bytes)
        case 2: try roundTrip([Double].self, bytes) { $0.map(\.bitPattern) == $1.map(\.bitPattern) }
        case 3: try roundTrip(String.self, bytes)
        case 4: try roundTrip([UInt8].self, bytes)
        case 5: try roundTrip(Event.self, bytes)
        case 6: try roundTrip([Int8?].self, bytes)
        default: try roundTrip(TaskError.self, bytes)
        }
    }

    /// Valid inputs for ``checkCodec(_:)``, one per type it picks: the fuzzer mutates from them.
    static func codecSeeds() throws -> [[UInt8]] {
        let leaf = Shape(
            id: -7, name: "leaf", ratio: 0.25, flag: nil, small: 300, tags: [], scores: [:], nested: [],
            bytes: [], event: .idle)
        let shape = Shape(
            id: 42, name: "shape ✓", ratio: -1.5e300, flag: true, small: 65_535, tags: ["a", "bb"],
            scores: ["x": 1, "y": -0.0], nested: [leaf, leaf], bytes: [0, 255, 7],
            event: .stopped(reason: "done", code: -3))
        let error = TaskError(
            kind: .crashed, type: "Fatal", message: "boom", code: 3, trace: "line 1\nline 2")
        return [
            [0] + (try BinaryEncoder.encode(shape)),
            [1] + (try BinaryEncoder.encode(["one": [1, -2, Int.max], "none": []])),
            [2] + (try BinaryEncoder.encode([0.5, -2, .infinity])),
            [3] + (try BinaryEncoder.encode("text with ünïcode")),
            [4] + (try BinaryEncoder.encode([UInt8](0..<32))),
            [5] + (try BinaryEncoder.encode(Event.started(at: .min))),
            [6] + (try BinaryEncoder.encode([Int8?](arrayLiteral: 1, nil, -128))),
            [7] + (try BinaryEncoder.encode(error)),
        ]
    }

    /// Decodes `bytes` as `T`; when that works, checks that the value survives encoding and
    /// decoding again, as `same` compares (bit for bit where a Double may be NaN).
    private static func roundTrip<T: Codable & Equatable>(
        _: T.Type, _ bytes: [UInt8], same: (T, T) -> Bool = (==)
    ) throws(Violation) {
        guard let value = try? BinaryDecoder.decode(T.self, from: bytes) else { return }
        let encoded = try? BinaryEncoder.encode(value)
        try require(encoded != nil, "a decoded \(T.self) does not encode")
        let again = encoded.flatMap { try? BinaryDecoder.decode(T.self, from: $0) }
        try require(again != nil, "the encoding of a decoded \(T.self) does not decode")
        try require(again.map { same($0, value) } ?? false, "a \(T.self) changed in a round trip")
    }

    /// A struct of the shapes Codable offers: scalars, optionals, nesting, arrays, dictionaries.
    /// Equal when every Double has the same bits, so that a NaN equals itself.
    struct Shape: Codable, Equatable {
        var id: Int
        var name: String
        var ratio: Double
        var flag: Bool?
        var small: UInt16
        var tags: [String]
        var scores: [String: Double]
        var nested: [Shape]
        var bytes: [UInt8]
        var event: Event?

        static func == (lhs: Shape, rhs: Shape) -> Bool {
            lhs.id == rhs.id && lhs.name == rhs.name && lhs.ratio.bitPattern == rhs.ratio.bitPattern
                && lhs.flag == rhs.flag && lhs.small == rhs.small && lhs.tags == rhs.tags
                && lhs.scores.mapValues(\.bitPattern) == rhs.scores.mapValues(\.bitPattern)
                && lhs.nested == rhs.nested && lhs.bytes == rhs.bytes && lhs.event == rhs.event
        }
    }

    /// An enum with associated values, as the compiler synthesizes its coding.
    enum Event: Codable, Equatable {
        case started(at: Int64)
        case stopped(reason: String, code: Int32?)
        case idle
    }
}
