/// A grey-scale image in the binary PGM format (`P5`): a text header with the width, the height
/// and the largest value, then one byte per pixel, row by row.
public struct PGMImage: Sendable, Equatable, Codable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// One byte per pixel, row by row.
    public var pixels: [UInt8]

    /// An image of `width` × `height` pixels.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height, "one byte per pixel")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// What is wrong with a file.
    public struct FormatError: Error, CustomStringConvertible {
        /// What is wrong.
        public var description: String
    }

    /// The most pixels an image may have: 64 megapixels.
    public static let maximumPixels = 1 << 26

    /// The header of a file: its dimensions, largest value and where the pixels start. Checked.
    public struct Header: Sendable, Equatable {
        /// Width in pixels.
        public var width: Int
        /// Height in pixels.
        public var height: Int
        /// The largest grey value.
        public var maximumValue: Int
        /// Where the pixels start in the file.
        public var pixelOffset: Int

        /// Reads a header.
        /// - Throws: ``FormatError`` when it is not a binary PGM header of a one-byte image.
        public init(_ bytes: [UInt8]) throws(FormatError) {
            guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P"), bytes[1] == UInt8(ascii: "5") else {
                throw FormatError(description: "not a binary PGM file (it must start with P5)")
            }
            var offset = 2
            var fields: [Int] = []
            while fields.count < 3 {
                // Whitespace and comments between fields.
                while offset < bytes.count {
                    if bytes[offset] == UInt8(ascii: "#") {
                        while offset < bytes.count, bytes[offset] != UInt8(ascii: "\n") { offset += 1 }
                    } else if Self.isSpace(bytes[offset]) {
                        offset += 1
                    } else {
                        break
                    }
                }
                var value = 0
                var digits = 0
                while offset < bytes.count, bytes[offset] >= UInt8(ascii: "0"),
                    bytes[offset] <= UInt8(ascii: "9")
                {
                    value = value * 10 + Int(bytes[offset] - UInt8(ascii: "0"))
                    digits += 1
                    offset += 1
                    guard digits <= 9 else { throw FormatError(description: "a header field is too long") }
                }
                guard digits > 0 else {
                    throw FormatError(description: "the header ends before its three fields")
                }
                fields.append(value)
            }
            guard offset < bytes.count, Self.isSpace(bytes[offset]) else {
                throw FormatError(description: "the header ends without the whitespace before the pixels")
            }
            width = fields[0]
            height = fields[1]
            maximumValue = fields[2]
            pixelOffset = offset + 1
            guard width > 0, height > 0, width * height <= PGMImage.maximumPixels else {
                throw FormatError(description: "an image of \(width) × \(height) pixels is out of range")
            }
            guard maximumValue > 0, maximumValue < 256 else {
                throw FormatError(
                    description: "only one byte per pixel is supported (largest value \(maximumValue))")
            }
        }

        private static func isSpace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
        }
    }

    /// Reads a file, checking that it holds every pixel its header announces.
    /// - Throws: ``FormatError``.
    public init(decoding bytes: [UInt8]) throws(FormatError) {
        let header = try Header(bytes)
        let count = header.width * header.height
        guard bytes.count - header.pixelOffset >= count else {
            throw FormatError(
                description: "the file holds \(bytes.count - header.pixelOffset) of its \(count) pixels")
        }
        self.init(
            width: header.width, height: header.height,
            pixels: Array(bytes[header.pixelOffset..<header.pixelOffset + count]))
    }

    /// The file's bytes.
    public func encoded() -> [UInt8] {
        Array("P5\n\(width) \(height)\n255\n".utf8) + pixels
    }
}
