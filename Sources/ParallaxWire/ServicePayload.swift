/// The payloads of the service frames, which carry calls from worker code to the parent's
/// services on the same channel as the tasks.
///
/// ```
/// serviceCall:   method (UInt32 length, UTF-8), UInt64 task id, encoded input   (worker → parent)
/// serviceReply:  UInt8 status, then 0: the encoded output; 1: an encoded ServiceError
///                                                                                (parent → worker)
/// serviceCancel: empty; the frame's id names the call                           (worker → parent)
/// ```
/// A frame's id is the call's id, unique within its worker.
package enum ServicePayload {
    /// A decoded serviceCall payload.
    package struct Call: Sendable {
        package var method: String
        package var taskID: UInt64
        package var input: [UInt8]

        package init(method: String, taskID: UInt64, input: [UInt8]) {
            self.method = method
            self.taskID = taskID
            self.input = input
        }

        /// Reads a serviceCall payload.
        /// - Throws: ``ProtocolError`` when it is malformed.
        package init(_ payload: [UInt8]) throws(ProtocolError) {
            var reader = PayloadReader(payload)
            method = try reader.readString()
            taskID = try reader.read(UInt64.self)
            input = reader.readRemainder()
        }

        package var payload: [UInt8] {
            var writer = PayloadWriter(capacity: 16 + method.utf8.count + input.count)
            writer.write(method)
            writer.write(taskID)
            writer.writeRemainder(input)
            return writer.bytes
        }
    }

    /// The payload of a serviceReply.
    package static func reply(_ outcome: Result<[UInt8], ServiceError>) -> [UInt8] {
        switch outcome {
        case .success(let output):
            return [0] + output
        case .failure(let error):
            return [1] + ((try? WireCodec.encode(error)) ?? [])
        }
    }

    /// Reads a serviceReply payload for a call of `method`.
    package static func outcome(_ payload: [UInt8], method: String) -> Result<[UInt8], ServiceError> {
        switch payload.first {
        case 0:
            return .success(Array(payload.dropFirst()))
        case 1:
            if let error = try? WireCodec.decode(ServiceError.self, from: payload[1...]) {
                return .failure(error)
            }
            fallthrough
        default:
            return .failure(
                ServiceError(kind: .encoding, method: method, message: "the parent sent an unreadable reply"))
        }
    }
}
