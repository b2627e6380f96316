/// The worker's first frame: the protocol it speaks and the registry it serves. (The parent knows
/// the worker's pid from the spawn.)
package struct Handshake: Sendable, Equatable {
    /// Bumped whenever the frame layout or a payload layout changes.
    package static let currentVersion: UInt16 = 6
    /// Marks a handshake so that stray bytes are not taken for one.
    package static let magic: UInt32 = 0x5058_4C57  // "PXLW"

    package var version: UInt16
    package var registryFingerprint: UInt64

    package init(version: UInt16 = Handshake.currentVersion, registryFingerprint: UInt64) {
        self.version = version
        self.registryFingerprint = registryFingerprint
    }

    package func frame() -> Frame {
        var writer = PayloadWriter(capacity: 14)
        writer.write(Self.magic)
        writer.write(version)
        writer.write(registryFingerprint)
        return Frame(kind: .hello, id: 0, payload: writer.bytes)
    }

    /// Reads a handshake, checking the magic number and the version.
    /// - Throws: ``ProtocolError`` with ``ProtocolError/Code/badHandshake(_:)``.
    package init(frame: Frame) throws(ProtocolError) {
        guard frame.kind == .hello else {
            throw ProtocolError(.badHandshake("first frame is \(frame.kind), not hello"))
        }
        var reader = PayloadReader(frame.payload)
        do throws(ProtocolError) {
            let magic = try reader.read(UInt32.self)
            guard magic == Self.magic else {
                throw ProtocolError(.badHandshake("magic number \(magic) is not \(Self.magic)"))
            }
            version = try reader.read(UInt16.self)
            registryFingerprint = try reader.read(UInt64.self)
            try reader.expectEnd("handshake")
        } catch {
            if case .badHandshake = error.code { throw error }
            throw ProtocolError(.badHandshake(error.description))
        }
        guard version == Self.currentVersion else {
            throw ProtocolError(
                .badHandshake("worker speaks protocol \(version), parent speaks \(Self.currentVersion)"))
        }
    }
}
