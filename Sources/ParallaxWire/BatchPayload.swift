/// The payloads of batch frames, which carry a chunk of a parallel map in one frame each way.
///
/// ```
/// runBatch:    name (UInt32 length, UTF-8), UInt32 count, count × (UInt32 length, encoded input)
/// batchResult: UInt32 count, count × (UInt8 status, UInt32 length, bytes)
///              status 0: the encoded output; status 1: an encoded TaskError
/// ```
@usableFromInline
package enum BatchPayload {
    /// A decoded runBatch payload; the inputs are slices of the frame's payload, not copies.
    package struct Request {
        package var name: String
        package var inputs: [ArraySlice<UInt8>]

        /// Reads a runBatch payload.
        /// - Throws: ``ProtocolError`` when it is malformed.
        package init(_ payload: [UInt8]) throws(ProtocolError) {
            var reader = PayloadReader(payload)
            name = try reader.readString()
            let count = Int(try reader.read(UInt32.self))
            inputs = []
            inputs.reserveCapacity(min(count, payload.count / 4))
            for _ in 0..<count { inputs.append(try reader.readSlice()) }
            try reader.expectEnd("batch")
        }
    }

    /// Builds a runBatch payload, encoding each input in place.
    @usableFromInline
    package struct RequestWriter {
        @usableFromInline package private(set) var bytes: [UInt8]
        private var countOffset: Int
        private var count: UInt32 = 0
        /// Where the last input appended starts.
        private var lastStart: Int?

        @usableFromInline
        package init(name: String, capacity: Int = 256) {
            var writer = PayloadWriter(capacity: capacity)
            writer.write(name)
            bytes = writer.bytes
            countOffset = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: 4))
        }

        /// Appends one input.
        /// - Throws: What encoding `input` throws; the payload is unchanged then.
        @usableFromInline
        package mutating func append<Input: Encodable>(_ input: Input) throws {
            let start = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: 4))
            do {
                try WireCodec.encode(input, into: &bytes)
            } catch {
                bytes.removeSubrange(start...)
                throw error
            }
            BatchPayload.patch(UInt32(bytes.count - start - 4), at: start, in: &bytes)
            count += 1
            BatchPayload.patch(count, at: countOffset, in: &bytes)
            lastStart = start
        }

        /// Removes the input appended last; once.
        @usableFromInline
        package mutating func removeLast() {
            guard let start = lastStart else { return }
            bytes.removeSubrange(start...)
            count -= 1
            BatchPayload.patch(count, at: countOffset, in: &bytes)
            lastStart = nil
        }
    }

    /// Writes a length that is known only after what it counts, over the placeholder at `offset`.
    static func patch(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
        bytes.storeLittleEndian(value, at: offset)
    }

    /// Builds a batchResult payload.
    package struct ReplyWriter {
        package private(set) var bytes: [UInt8] = []

        package init(count: Int) {
            var writer = PayloadWriter(capacity: 16 + count * 12)
            writer.write(UInt32(count))
            bytes = writer.bytes
        }

        /// Appends one outcome that `body` encodes straight into the payload, with no array of its
        /// own; when `body` throws, what it wrote is dropped and the error is the outcome.
        package mutating func appendOutcome(_ body: (inout [UInt8]) throws(TaskError) -> Void) {
            let start = bytes.count
            bytes.append(0)
            bytes.append(contentsOf: repeatElement(0, count: 4))
            do throws(TaskError) {
                try body(&bytes)
                BatchPayload.patch(UInt32(bytes.count - start - 5), at: start + 1, in: &bytes)
            } catch {
                bytes.removeSubrange(start...)
                append(.failure(error))
            }
        }

        package mutating func append(_ outcome: Result<[UInt8], TaskError>) {
            switch outcome {
            case .success(let value):
                bytes.append(0)
                BinaryFastPath.append(UInt32(value.count), to: &bytes)
                bytes.append(contentsOf: value)
            case .failure(let error):
                let encoded = (try? WireCodec.encode(error)) ?? []
                bytes.append(1)
                BinaryFastPath.append(UInt32(encoded.count), to: &bytes)
                bytes.append(contentsOf: encoded)
            }
        }
    }

    /// A batchResult payload, checked and split into its outcomes: the outputs stay encoded, for
    /// the caller to decode as its own type; the errors are decoded here.
    @usableFromInline
    package struct Outcomes: Sendable {
        /// One input's outcome.
        @usableFromInline
        package enum Entry: Sendable {
            /// The encoded output, at these bytes of ``payload``.
            case value(Range<Int>)
            case failure(TaskError)
        }

        @usableFromInline package let payload: [UInt8]
        @usableFromInline package private(set) var entries: [Entry] = []

        /// Splits a batchResult payload.
        /// - Throws: ``ProtocolError`` when the payload is malformed, holds another number of
        ///   outcomes or an unreadable error.
        @usableFromInline
        package init(_ payload: [UInt8], expected: Int) throws(ProtocolError) {
            self.payload = payload
            var reader = PayloadReader(payload)
            let count = Int(try reader.read(UInt32.self))
            guard count == expected else {
                throw ProtocolError(
                    .malformedPayload("a batch of \(expected) came back with \(count) outcomes"))
            }
            entries.reserveCapacity(count)
            for _ in 0..<count {
                let status = try reader.read(UInt8.self)
                let bytes = try reader.readSlice()
                switch status {
                case 0:
                    entries.append(.value(bytes.startIndex..<bytes.endIndex))
                case 1:
                    guard let error = try? BinaryDecoder.decode(TaskError.self, from: bytes) else {
                        throw ProtocolError(.malformedPayload("a batch outcome holds an unreadable error"))
                    }
                    entries.append(.failure(error))
                default:
                    throw ProtocolError(.malformedPayload("batch outcome status \(status)"))
                }
            }
            try reader.expectEnd("batch")
        }
    }
}
