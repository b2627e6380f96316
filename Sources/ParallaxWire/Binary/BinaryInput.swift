/// Bounds-checked reads from encoded bytes. Every read checks the input's length first, so a
/// truncated or forged input is a `DecodingError`, never a crash or an allocation it announces.
struct BinaryInput {
    let bytes: UnsafeRawBufferPointer

    /// How deep composites may nest before the input is refused.
    static let maximumDepth = 512

    func corrupted(_ path: [any CodingKey], _ message: String) -> DecodingError {
        DecodingError.dataCorrupted(DecodingError.Context(codingPath: path, debugDescription: message))
    }

    @inline(__always)
    func require(_ count: Int, at offset: Int, _ path: @autoclosure () -> [any CodingKey]) throws {
        guard offset >= 0, count >= 0, offset <= bytes.count, bytes.count - offset >= count else {
            throw corrupted(
                path(), "the input ends inside a value (needs \(count) bytes at offset \(offset))")
        }
    }

    @inline(__always)
    func tag(at offset: Int, _ path: @autoclosure () -> [any CodingKey]) throws -> BinaryTag {
        try require(1, at: offset, path())
        guard let tag = BinaryTag(rawValue: bytes[offset]) else {
            throw corrupted(path(), "unknown value tag \(bytes[offset]) at offset \(offset)")
        }
        return tag
    }

    @inline(__always)
    func load<T: FixedWidthInteger>(_: T.Type, at offset: Int, _ path: @autoclosure () -> [any CodingKey])
        throws -> T
    {
        try require(MemoryLayout<T>.size, at: offset, path())
        return bytes.loadLittleEndian(T.self, at: offset)
    }

    @inline(__always)
    func length(at offset: Int, _ path: @autoclosure () -> [any CodingKey]) throws -> Int {
        Int(try load(UInt32.self, at: offset, path()))
    }

    /// Reads a LEB128 varint; returns it and the bytes it took.
    @inline(__always)
    func varint(at offset: Int, _ path: @autoclosure () -> [any CodingKey]) throws -> (
        value: UInt64, size: Int
    ) {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var cursor = offset
        while true {
            try require(1, at: cursor, path())
            let byte = bytes[cursor]
            cursor += 1
            guard shift < 64, shift != 63 || byte <= 1 else {
                throw corrupted(path(), "a varint is too long")
            }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return (value, cursor - offset) }
            shift += 7
        }
    }

    /// Reads a varint length and checks that many bytes follow it; returns the length and where
    /// the bytes start.
    @inline(__always)
    func span(at offset: Int, _ path: @autoclosure () -> [any CodingKey]) throws -> (start: Int, count: Int) {
        let (value, size) = try varint(at: offset, path())
        guard value <= UInt64(Int32.max) else {
            throw corrupted(path(), "a length of \(value) bytes is too large")
        }
        let count = Int(value)
        try require(count, at: offset + size, path())
        return (offset + size, count)
    }

    /// The offset just past the value that starts at `offset`.
    @inline(__always)
    func end(ofValueAt offset: Int, _ path: @autoclosure () -> [any CodingKey]) throws -> Int {
        let end: Int
        switch try tag(at: offset, path()) {
        case .null, .false, .true: end = offset + BinaryTag.tagSize
        case .int, .uint:
            end = offset + BinaryTag.tagSize + (try varint(at: offset + BinaryTag.tagSize, path())).size
        case .double: end = offset + BinaryTag.tagSize + MemoryLayout<UInt64>.size
        case .float: end = offset + BinaryTag.tagSize + MemoryLayout<UInt32>.size
        case .string:
            let span = try span(at: offset + BinaryTag.tagSize, path())
            end = span.start + span.count
        case .bytes, .keyed, .unkeyed:
            end =
                offset + BinaryTag.lengthPrefixedHeaderSize
                + (try length(at: offset + BinaryTag.tagSize, path()))
        case .doubles, .ints:
            let count = try length(at: offset + BinaryTag.tagSize, path())
            let (size, overflow) = count.multipliedReportingOverflow(by: 8)
            guard !overflow else { throw corrupted(path(), "array of \(count) numbers is too long") }
            end = offset + BinaryTag.lengthPrefixedHeaderSize + size
        }
        try require(end - offset, at: offset, path())
        return end
    }

    /// Reads a varint-length-prefixed UTF-8 string.
    func string(at offset: Int, _ path: @autoclosure () -> [any CodingKey]) throws -> String {
        let (start, count) = try span(at: offset, path())
        return try string(start: start, count: count, path())
    }

    func string(start: Int, count: Int, _ path: @autoclosure () -> [any CodingKey]) throws -> String {
        let utf8 = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + count)])
        guard let string = String(validating: utf8.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw corrupted(path(), "a string is not valid UTF-8")
        }
        return string
    }

    /// Whether the length-prefixed key at `offset` spells `key`.
    func keyMatches(at offset: Int, length: Int, _ key: String) -> Bool {
        var key = key
        return key.withUTF8 { utf8 in
            utf8.count == length && memcmp(utf8.baseAddress!, bytes.baseAddress! + offset, length) == 0
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
