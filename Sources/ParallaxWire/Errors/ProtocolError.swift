/// A violation of the worker channel's protocol: the peer sent bytes that are not a valid frame.
@usableFromInline
package struct ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong.
    package enum Code: Sendable, Equatable {
        /// The header announced more bytes than the configured maximum frame size.
        case frameTooLarge(announced: Int, limit: Int)
        /// The header announced fewer bytes than a kind and an id take.
        case frameTooShort(announced: Int)
        /// The kind byte names no known frame kind.
        case unknownKind(UInt8)
        /// The payload of a known kind could not be read.
        case malformedPayload(String)
        /// The first frame was not a valid handshake, or its version is not ours.
        case badHandshake(String)
        /// A frame arrived that the receiver did not expect in its state.
        case unexpectedFrame(String)
        /// The channel closed in the middle of a frame.
        case truncated(missing: Int)
    }

    package var code: Code

    package init(_ code: Code) {
        self.code = code
    }

    @usableFromInline
    package var description: String {
        switch code {
        case .frameTooLarge(let announced, let limit):
            "frame header announces \(announced) bytes, above the limit of \(limit)"
        case .frameTooShort(let announced):
            "frame header announces \(announced) bytes, fewer than a kind and an id take"
        case .unknownKind(let kind): "unknown frame kind \(kind)"
        case .malformedPayload(let why): "malformed frame payload: \(why)"
        case .badHandshake(let why): "bad handshake: \(why)"
        case .unexpectedFrame(let why): "unexpected frame: \(why)"
        case .truncated(let missing): "channel closed inside a frame, \(missing) bytes missing"
        }
    }
}
