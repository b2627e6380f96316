import FoundationEssentials
import Testing

@testable import Parallax
@testable import ParallaxWire

/// Round trips of every Codable shape, and decoding of broken input, through the wire codec.
@Suite struct BinaryCodecTests {
    func roundTrip<T: Codable & Equatable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let bytes = try BinaryEncoder.encode(value)
        let decoded = try BinaryDecoder.decode(T.self, from: bytes)
        #expect(decoded == value, sourceLocation: sourceLocation)
    }

    @Test func integersOfEveryWidthKeepTheirExtremes() throws {
        try roundTrip([Int.min, -1, 0, 1, Int.max])
        try roundTrip([Int8.min, Int8.max])
        try roundTrip([Int16.min, Int16.max])
        try roundTrip([Int32.min, Int32.max])
        try roundTrip([Int64.min, Int64.max])
        try roundTrip([UInt.min, UInt.max])
        try roundTrip([UInt8.min, UInt8.max])
        try roundTrip([UInt16.min, UInt16.max])
        try roundTrip([UInt32.min, UInt32.max])
        try roundTrip([UInt64.min, UInt64.max])
        try roundTrip(Int.max)
        try roundTrip(UInt64.max)
    }

    @Test func floatingPointKeepsEveryBitIncludingNaNAndNegativeZero() throws {
        let values: [Double] = [
            0, -0.0, .pi, -.infinity, .infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
        ]
        try roundTrip(values)
        let nan = try BinaryDecoder.decode(Double.self, from: try BinaryEncoder.encode(Double.nan))
        #expect(nan.isNaN)
        let negativeZero = try BinaryDecoder.decode(Double.self, from: try BinaryEncoder.encode(-0.0))
        #expect(negativeZero.sign == .minus)
        try roundTrip([Float.pi, -Float.infinity, Float(1e-30)])
    }

    @Test func stringsKeepUnicodeAndNul() throws {
        try roundTrip([
            "", "plain", "naïve café ☕️ 🇺🇦", "nul\u{0}inside", String(repeating: "x", count: 100_000),
        ])
    }

    @Test func optionalsAndNestedOptionals() throws {
        struct Holder: Codable, Equatable {
            var some: Int?
            var none: String?
            var nested: Int??
            var array: [Int?]
        }
        // `.some(nil)` of a double optional reads back as nil with every Codable coder, JSON's too.
        try roundTrip(Holder(some: 1, none: nil, nested: nil, array: [1, nil, 3]))
        try roundTrip(Holder(some: nil, none: "x", nested: .some(.some(2)), array: []))
        try roundTrip([Int?.none, 4])
        try roundTrip(Int?.none)
    }

    @Test func collectionsOfEveryKind() throws {
        try roundTrip([UInt8](repeating: 0xAB, count: 1 << 20))
        try roundTrip((0..<100_000).map(Double.init))
        try roundTrip(Array(0..<10_000))
        try roundTrip([[1, 2], [], [3]])
        try roundTrip(["a": 1, "b": 2])
        try roundTrip([1: "one", 2: "two"])
        try roundTrip(Set(["x", "y", "z"]))
        try roundTrip([String: [Double]]())
        try roundTrip(ContiguousArray<UInt8>([1, 2, 3]))
        try roundTrip([[UInt8]]([[1], [], [2, 3]]))
    }

    @Test func enumsWithAndWithoutPayloads() throws {
        enum Shape: Codable, Equatable {
            case point
            case circle(radius: Double)
            case polygon([Int], label: String?)
        }
        enum Raw: String, Codable { case a, b }
        try roundTrip([
            Shape.point, .circle(radius: 2), .polygon([1, 2, 3], label: nil), .polygon([], label: "x"),
        ])
        try roundTrip([Raw.a, .b])
    }

    indirect enum Tree: Codable, Equatable {
        case leaf(Int)
        case node(Tree, Tree)
    }

    @Test func recursiveValuesNestDeeply() throws {
        var tree = Tree.leaf(0)
        for level in 1...200 { tree = .node(tree, .leaf(level)) }
        try roundTrip(tree)
    }

    @Test func foundationValuesRoundTrip() throws {
        struct Record: Codable, Equatable {
            var id: UUID
            var at: Date
            var blob: Data
        }
        try roundTrip(
            Record(id: UUID(), at: Date(timeIntervalSince1970: 1_700_000_000.25), blob: Data([0, 1, 255])))
    }

    class Base: Codable {
        var name: String
        init(name: String) { self.name = name }
    }

    final class Derived: Base, Equatable {
        var level: Int

        init(name: String, level: Int) {
            self.level = level
            super.init(name: name)
        }

        enum CodingKeys: String, CodingKey { case level }

        required init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            level = try container.decode(Int.self, forKey: .level)
            try super.init(from: container.superDecoder())
        }

        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(level, forKey: .level)
            try super.encode(to: container.superEncoder())
        }

        static func == (lhs: Derived, rhs: Derived) -> Bool { lhs.name == rhs.name && lhs.level == rhs.level }
    }

    @Test func subclassesEncodeTheirSuperclassThroughSuperEncoder() throws {
        try roundTrip(Derived(name: "base part", level: 3))
    }

    /// Writes to a parent container after opening nested ones, then to the nested ones.
    struct Interleaved: Codable, Equatable {
        var a: Int
        var inner: [String: Int]
        var list: [Int]

        enum Keys: String, CodingKey { case a, inner, list }
        enum InnerKeys: String, CodingKey { case x, y }

        init(a: Int, inner: [String: Int], list: [Int]) {
            self.a = a
            self.inner = inner
            self.list = list
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            var nested = container.nestedContainer(keyedBy: InnerKeys.self, forKey: .inner)
            var unkeyed = container.nestedUnkeyedContainer(forKey: .list)
            try container.encode(a, forKey: .a)
            try nested.encode(inner["x"] ?? 0, forKey: .x)
            try unkeyed.encode(list[0])
            try nested.encode(inner["y"] ?? 0, forKey: .y)
            for value in list.dropFirst() { try unkeyed.encode(value) }
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            a = try container.decode(Int.self, forKey: .a)
            let nested = try container.nestedContainer(keyedBy: InnerKeys.self, forKey: .inner)
            inner = [
                "y": try nested.decode(Int.self, forKey: .y), "x": try nested.decode(Int.self, forKey: .x),
            ]
            var unkeyed = try container.nestedUnkeyedContainer(forKey: .list)
            var list: [Int] = []
            while !unkeyed.isAtEnd { list.append(try unkeyed.decode(Int.self)) }
            self.list = list
        }
    }

    @Test func containersMayBeFilledInAnyOrderAndReadInAnyOrder() throws {
        try roundTrip(Interleaved(a: 1, inner: ["x": 2, "y": 3], list: [4, 5, 6]))
    }

    /// A value is appended after what the output holds, its container written in place there.
    @Test func aValueIsAppendedAfterTheOutputsBytesWhateverContainerItEndsWith() throws {
        struct SecondThoughts: Encodable {
            enum Key: CodingKey { case a }
            func encode(to encoder: any Encoder) throws {
                var keyed = encoder.container(keyedBy: Key.self)
                try keyed.encode(1, forKey: .a)
                // A second kind of container replaces the first, as in Foundation's coders.
                var unkeyed = encoder.unkeyedContainer()
                try unkeyed.encode(7)
                try unkeyed.encode(8)
            }
        }
        let prefix: [UInt8] = [0xAA, 0xBB, 0xCC]
        var output = prefix
        try BinaryEncoder.encode(SecondThoughts(), into: &output)
        #expect(Array(output.prefix(3)) == prefix)
        #expect(try BinaryDecoder.decode([Int].self, from: Array(output.dropFirst(3))) == [7, 8])

        output = prefix
        try BinaryEncoder.encode(Interleaved(a: 1, inner: ["x": 2, "y": 3], list: [3]), into: &output)
        #expect(Array(output.prefix(3)) == prefix)
        let decoded = try BinaryDecoder.decode(Interleaved.self, from: Array(output.dropFirst(3)))
        #expect(decoded == Interleaved(a: 1, inner: ["x": 2, "y": 3], list: [3]))
    }

    @Test func anEncodingThatThrowsLeavesTheOutputAsItWas() {
        struct Refuses: Encodable {
            enum Key: CodingKey { case a, b }
            func encode(to encoder: any Encoder) throws {
                var keyed = encoder.container(keyedBy: Key.self)
                try keyed.encode(1, forKey: .a)
                throw EncodingError.invalidValue(2, .init(codingPath: [Key.b], debugDescription: "no"))
            }
        }
        var output: [UInt8] = [1, 2, 3]
        #expect(throws: EncodingError.self) { try BinaryEncoder.encode(Refuses(), into: &output) }
        #expect(output == [1, 2, 3])
    }

    @Test func aMissingKeyIsKeyNotFoundAndATypeMismatchIsTyped() throws {
        struct Wide: Codable {
            var a: Int
            var b: String
        }
        struct Narrow: Codable { var a: Int }
        let narrow = try BinaryEncoder.encode(Narrow(a: 1))
        #expect(throws: DecodingError.self) { try BinaryDecoder.decode(Wide.self, from: narrow) }
        let text = try BinaryEncoder.encode("text")
        #expect(throws: DecodingError.self) { try BinaryDecoder.decode(Int.self, from: text) }
        let big = try BinaryEncoder.encode(300)
        #expect(throws: DecodingError.self) { try BinaryDecoder.decode(UInt8.self, from: big) }
    }

    @Test func anIntegerThatDoesNotFitItsTypeIsRefusedAtEveryWidthAndSign() throws {
        /// Whether decoding `value` as `I` gives the value when it fits and an error when not.
        func agrees<I: FixedWidthInteger & Codable>(_ value: some FixedWidthInteger & Codable, _: I.Type)
            throws
            -> Bool
        {
            let decoded = try? BinaryDecoder.decode(I.self, from: try BinaryEncoder.encode(value))
            return decoded == I(exactly: value)
        }
        func everyWidth(_ value: some FixedWidthInteger & Codable) throws -> [Bool] {
            [
                try agrees(value, Int8.self), try agrees(value, Int16.self), try agrees(value, Int32.self),
                try agrees(value, Int64.self), try agrees(value, Int.self), try agrees(value, UInt8.self),
                try agrees(value, UInt16.self), try agrees(value, UInt32.self),
                try agrees(value, UInt64.self),
                try agrees(value, UInt.self),
            ]
        }
        let samples: [Int128] = [
            0, 1, -1, 127, 128, -128, -129, 255, 256, 32_767, 32_768, -32_768, -32_769, 65_535, 65_536,
            Int128(Int32.max), Int128(Int32.max) + 1, Int128(Int32.min), Int128(Int32.min) - 1,
            Int128(UInt32.max), Int128(UInt32.max) + 1, Int128(Int64.max), Int128(Int64.min),
            Int128(Int64.max) + 1, Int128(UInt64.max),
        ]
        for sample in samples {
            // Negative values travel as signed integers, the rest both ways.
            var agreements: [Bool] = []
            if let signed = Int64(exactly: sample) { agreements += try everyWidth(signed) }
            if let unsigned = UInt64(exactly: sample) { agreements += try everyWidth(unsigned) }
            #expect(!agreements.isEmpty && agreements.allSatisfy { $0 }, "\(sample): \(agreements)")
        }
    }

    @Test func everyTruncationOfAValueFailsCleanly() throws {
        let bytes = try BinaryEncoder.encode(Interleaved(a: 1, inner: ["x": 2, "y": 3], list: [4, 5, 6]))
        for length in 0..<bytes.count {
            #expect(throws: DecodingError.self) {
                try BinaryDecoder.decode(Interleaved.self, from: Array(bytes[0..<length]))
            }
        }
        #expect(throws: DecodingError.self) { try BinaryDecoder.decode(Interleaved.self, from: bytes + [0]) }
    }

    @Test func aLengthClaimingGigabytesFailsWithoutAllocating() throws {
        var bytes: [UInt8] = [BinaryTag.bytes.rawValue, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3]
        #expect(throws: DecodingError.self) { try BinaryDecoder.decode([UInt8].self, from: bytes) }
        bytes = [BinaryTag.doubles.rawValue, 0xFF, 0xFF, 0xFF, 0x7F]
        #expect(throws: DecodingError.self) { try BinaryDecoder.decode([Double].self, from: bytes) }
        bytes = [BinaryTag.keyed.rawValue, 8, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]
        #expect(throws: DecodingError.self) { try BinaryDecoder.decode([String: Int].self, from: bytes) }
    }

    /// Lists of lists to any depth, read through unkeyed containers: what the depth limit guards.
    struct NestedList: Codable, Equatable {
        var depth: Int

        init(depth: Int) { self.depth = depth }

        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            depth = try container.decodeNil() ? 0 : try container.decode(NestedList.self).depth + 1
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            if depth == 0 {
                try container.encodeNil()
            } else {
                try container.encode(NestedList(depth: depth - 1))
            }
        }
    }

    @Test func nestingBeyondTheDepthLimitIsRefused() throws {
        // Within the limit, the nesting reads back; past it, the decoder refuses and says why.
        try roundTrip(NestedList(depth: BinaryInput.maximumDepth - 2))
        let deep = try BinaryEncoder.encode(NestedList(depth: BinaryInput.maximumDepth + 50))
        let error = #expect(throws: DecodingError.self) {
            try BinaryDecoder.decode(NestedList.self, from: deep)
        }
        #expect("\(String(describing: error))".contains("nest deeper than \(BinaryInput.maximumDepth)"))
    }

    // MARK: Property-based round trips and fuzzing

    /// A value of every shape the format has, built at random.
    indirect enum Fuzz: Codable, Equatable {
        case int(Int)
        case int8(Int8)
        case uint64(UInt64)
        case double(Double)
        case float(Float)
        case bool(Bool)
        case string(String)
        case bytes([UInt8])
        case numbers([Double])
        case optional(Int?)
        case list([Fuzz])
        case map([String: Fuzz])
        case pair(Fuzz, label: String)
    }

    static func randomFuzz(_ rng: inout SplitMix64, depth: Int = 0) -> Fuzz {
        let leafOnly = depth > 4
        switch Int.random(in: 0..<(leafOnly ? 10 : 13), using: &rng) {
        case 0: return .int(Int.random(in: .min ... .max, using: &rng))
        case 1: return .int8(Int8.random(in: .min ... .max, using: &rng))
        case 2: return .uint64(UInt64.random(in: .min ... .max, using: &rng))
        case 3:
            // Clearing the top exponent bit keeps the value finite, so == holds after the trip.
            return .double(Double(bitPattern: rng.next() & ~(0x4000_0000_0000_0000)))
        case 4: return .float(Float.random(in: -1e6...1e6, using: &rng))
        case 5: return .bool(Bool.random(using: &rng))
        case 6:
            let scalars = (0..<Int.random(in: 0..<12, using: &rng)).compactMap { _ in
                Unicode.Scalar(UInt32.random(in: 0...0x1F6FF, using: &rng))
            }
            return .string(String(String.UnicodeScalarView(scalars)))
        case 7:
            return .bytes(
                (0..<Int.random(in: 0..<40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        case 8:
            return .numbers(
                (0..<Int.random(in: 0..<8, using: &rng)).map { _ in
                    Double(Int.random(in: -99...99, using: &rng))
                })
        case 9: return .optional(Bool.random(using: &rng) ? nil : Int.random(in: -5...5, using: &rng))
        case 10:
            return .list(
                (0..<Int.random(in: 0..<5, using: &rng)).map { _ in randomFuzz(&rng, depth: depth + 1) })
        case 11:
            var map: [String: Fuzz] = [:]
            for index in 0..<Int.random(in: 0..<5, using: &rng) {
                map["k\(index)"] = randomFuzz(&rng, depth: depth + 1)
            }
            return .map(map)
        default: return .pair(randomFuzz(&rng, depth: depth + 1), label: "label\(depth)")
        }
    }

    @Test func randomValuesOfEveryShapeRoundTrip() throws {
        var rng = SplitMix64(seed: 0x5EED)
        for _ in 0..<2_000 {
            try roundTrip(Self.randomFuzz(&rng))
        }
    }

    /// A smoke fuzz: its failure is a trap. It also checks that the mutations reach both outcomes,
    /// so that it keeps exercising the decoder's checks.
    @Test func mutatedEncodingsEitherDecodeOrThrowNeverTrap() throws {
        var outcomes = (decoded: 0, refused: 0)
        var rng = SplitMix64(seed: 0xF00D)
        for _ in 0..<2_000 {
            var bytes = try BinaryEncoder.encode(Self.randomFuzz(&rng))
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                switch Int.random(in: 0..<3, using: &rng) {
                case 0 where !bytes.isEmpty:
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(
                        in: 0...255, using: &rng)
                case 1 where !bytes.isEmpty:
                    bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
                default:
                    bytes.insert(
                        UInt8.random(in: 0...255, using: &rng),
                        at: Int.random(in: 0...bytes.count, using: &rng))
                }
            }
            // Either outcome is fine; trapping is not.
            if (try? BinaryDecoder.decode(Fuzz.self, from: bytes)) != nil {
                outcomes.decoded += 1
            } else {
                outcomes.refused += 1
            }
        }
        #expect(outcomes.decoded > 0 && outcomes.refused > 0, "\(outcomes)")
    }

    /// A smoke fuzz: its failure is a trap. Random bytes are almost never a value; the count
    /// checks that the decoder refused them rather than skipped them.
    @Test func randomBytesAreRefusedNeverTrap() {
        var rng = SplitMix64(seed: 0xBADC0DE)
        var refused = 0
        for _ in 0..<5_000 {
            let bytes = (0..<Int.random(in: 0..<64, using: &rng)).map { _ in
                UInt8.random(in: 0...255, using: &rng)
            }
            if (try? BinaryDecoder.decode(Fuzz.self, from: bytes)) == nil { refused += 1 }
            _ = try? BinaryDecoder.decode([String: [Int]].self, from: bytes)
        }
        #expect(refused > 4_000)
    }

    @Test func theEncodingIsSmallerThanJSONForTypicalValues() throws {
        struct Row: Codable {
            var id: Int
            var name: String
            var score: Double
        }
        let rows = (0..<1_000).map { Row(id: $0, name: "row-\($0)", score: Double($0) / 3) }
        let binary = try BinaryEncoder.encode(rows)
        let json = try JSONEncoder().encode(rows)
        #expect(binary.count < json.count)
        let bytes = [UInt8](repeating: 7, count: 1 << 20)
        #expect(try BinaryEncoder.encode(bytes).count == (1 << 20) + 5)
    }
}
