/// The payloads of batch frames, which carry a chunk of a parallel map in one frame each way.
///
/// ```
/// runBatch:    name (UInt32 length, UTF-8), UInt32 count, count × (UInt32 length, encoded input)
/// batchResult: UInt32 count, count × (UInt8 status, UInt32 length, bytes)
///              status 0: the encoded output; status 1: an encoded TaskError
/// ```
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
    package struct RequestWriter {
        package private(set) var bytes: [UInt8]
        private var countOffset: Int
        private var count: UInt32 = 0

        package init(name: String, capacity: Int = 256) {
            var writer = PayloadWriter(capacity: capacity)
            writer.write(name)
            bytes = writer.bytes
            countOffset = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: 4))
        }

        /// Appends one input.
        /// - Throws: What encoding `input` throws; the payload is unchanged then.
        package mutating func append<Input: Encodable>(_ input: Input) throws {
            let start = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: 4))
            do {
                try WireCodec.encode(input, into: &bytes)
            } catch {
                bytes.removeSubrange(start...)
                throw error
            }
            patch(UInt32(bytes.count - start - 4), at: start)
            count += 1
            patch(count, at: countOffset)
        }

        private mutating func patch(_ value: UInt32, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { raw in
                for index in 0..<4 { bytes[offset + index] = raw[index] }
            }
        }
    }

    /// Builds a batchResult payload.
    package struct ReplyWriter {
        package private(set) var bytes: [UInt8] = []

        package init(count: Int) {
            var writer = PayloadWriter(capacity: 16 + count * 12)
            writer.write(UInt32(count))
            bytes = writer.bytes
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

    /// Reads a batchResult payload and decodes each output in one pass over the bytes.
    /// - Throws: ``ProtocolError`` when the payload is malformed or holds another number of
    ///   outcomes; an output that does not decode fails its own slot instead.
    package static func decodeOutcomes<Output: Decodable>(
        _ payload: [UInt8], expected: Int, as _: Output.Type, name: String
    ) throws(ProtocolError) -> [TaskResult<Output>] {
        let outcome = payload.withUnsafeBytes { raw -> Result<[TaskResult<Output>], ProtocolError> in
            var offset = 0
            func take(_ count: Int) throws(ProtocolError) -> UnsafeRawBufferPointer {
                guard count >= 0, raw.count - offset >= count else {
                    throw ProtocolError(.malformedPayload("a batch outcome runs past the payload"))
                }
                defer { offset += count }
                return UnsafeRawBufferPointer(rebasing: raw[offset..<offset + count])
            }
            func length() throws(ProtocolError) -> Int {
                Int(UInt32(littleEndian: try take(4).loadUnaligned(as: UInt32.self)))
            }
            do throws(ProtocolError) {
                let count = try length()
                guard count == expected else {
                    throw ProtocolError(
                        .malformedPayload("a batch of \(expected) came back with \(count) outcomes"))
                }
                var results: [TaskResult<Output>] = []
                results.reserveCapacity(count)
                for _ in 0..<count {
                    let status = try take(1)[0]
                    let bytes = try take(try length())
                    switch status {
                    case 0:
                        do {
                            results.append(
                                TaskResult(.success(try BinaryDecoder.decode(Output.self, from: bytes))))
                        } catch {
                            results.append(
                                TaskResult(
                                    .failure(
                                        TaskError(
                                            kind: .threw, type: "Parallax.ResultDecodingError",
                                            message:
                                                "the result of '\(name)' could not be decoded as \(Output.self): \(error)",
                                            trace: String(reflecting: error)))))
                        }
                    case 1:
                        guard let error = try? BinaryDecoder.decode(TaskError.self, from: bytes) else {
                            throw ProtocolError(
                                .malformedPayload("a batch outcome holds an unreadable error"))
                        }
                        results.append(TaskResult(.failure(error)))
                    default:
                        throw ProtocolError(.malformedPayload("batch outcome status \(status)"))
                    }
                }
                guard offset == raw.count else {
                    throw ProtocolError(
                        .malformedPayload("\(raw.count - offset) trailing bytes after the batch result"))
                }
                return .success(results)
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }
}
