public import Parallax

/// Decodes an uploaded PGM image and summarises it, with a decoder that stands in for native
/// code (an image or PDF library) that can trap on malformed input.
///
/// Like many fast decoders, it trusts the dimensions in the header: a truncated file makes it
/// read past the end of the data, which in Swift is a trap that ends the process. In a worker it
/// fails one request; the server answers 422 with the worker's crash reason and goes on.
public struct DecodeImage: WorkerTask {
    /// The uploaded file.
    public var file: [UInt8]

    /// A decode of `file`.
    public init(file: [UInt8]) {
        self.file = file
    }

    /// What the image holds.
    public struct Summary: Codable, Sendable, Equatable {
        /// Width in pixels.
        public var width: Int
        /// Height in pixels.
        public var height: Int
        /// The mean grey value, 0 to 255.
        public var mean: Double
        /// Pixel counts in 16 bands of grey values.
        public var histogram: [Int]
    }

    /// Decodes the image and summarises its pixels.
    public func run(in context: WorkerContext) async throws -> Summary {
        let header = try PGMImage.Header(file)
        var histogram = [Int](repeating: 0, count: 16)
        var total = 0
        var offset = header.pixelOffset
        // No check that the file holds width × height pixels: a short file traps at `file[offset]`.
        for _ in 0..<(header.width * header.height) {
            let value = Int(file[offset])
            histogram[value >> 4] += 1
            total += value
            offset += 1
        }
        let count = header.width * header.height
        return Summary(
            width: header.width, height: header.height, mean: Double(total) / Double(count),
            histogram: histogram)
    }
}
