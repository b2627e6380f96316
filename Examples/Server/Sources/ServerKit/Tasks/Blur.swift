public import Parallax

/// A CPU-heavy transform that benefits from `map` across workers: a blur (three passes of a box
/// blur, close to a Gaussian) computed in horizontal stripes, each in a worker.
public enum Blur {
    /// Rows of an image to blur, with the rows above and below that the blur reads.
    public struct Stripe: Codable, Sendable {
        /// The image's width in pixels.
        public var width: Int
        /// The stripe's rows, after `above` rows of context and before `below`.
        public var rows: [UInt8]
        /// Rows of context before the stripe's own.
        public var above: Int
        /// Rows of context after the stripe's own.
        public var below: Int
        /// The box blur's radius.
        public var radius: Int
    }

    /// Blurs one stripe and returns its own rows (without the context rows).
    public static let stripe = TaskFunction("blur.stripe") { (stripe: Stripe) -> [UInt8] in
        blur(stripe)
    }

    /// How many rows each stripe holds.
    public static let stripeHeight = 64

    /// Splits `image` into stripes for a blur of `radius`: each carries the rows its blur reads
    /// (three passes reach 3 × radius rows).
    public static func stripes(of image: PGMImage, radius: Int) -> [Stripe] {
        let reach = 3 * radius
        var stripes: [Stripe] = []
        var top = 0
        while top < image.height {
            let bottom = min(image.height, top + stripeHeight)
            let from = max(0, top - reach)
            let to = min(image.height, bottom + reach)
            stripes.append(
                Stripe(
                    width: image.width, rows: Array(image.pixels[from * image.width..<to * image.width]),
                    above: top - from, below: to - bottom, radius: radius))
            top = bottom
        }
        return stripes
    }

    /// Blurs a whole image in this process: the reference the stripes must match.
    public static func blurred(_ image: PGMImage, radius: Int) -> PGMImage {
        let whole = Stripe(width: image.width, rows: image.pixels, above: 0, below: 0, radius: radius)
        return PGMImage(width: image.width, height: image.height, pixels: blur(whole))
    }

    static func blur(_ stripe: Stripe) -> [UInt8] {
        let width = stripe.width
        let height = stripe.rows.count / max(1, width)
        var current = stripe.rows.map { Int32($0) }
        var next = current
        for _ in 0..<3 {
            boxPass(
                &current, into: &next, width: width, height: height, radius: stripe.radius, horizontal: true)
            boxPass(
                &next, into: &current, width: width, height: height, radius: stripe.radius, horizontal: false)
        }
        let start = stripe.above * width
        let end = (height - stripe.below) * width
        return current[start..<end].map { UInt8(clamping: $0) }
    }

    /// One box blur pass along rows or columns, with edges clamped.
    private static func boxPass(
        _ source: inout [Int32], into target: inout [Int32], width: Int, height: Int, radius: Int,
        horizontal: Bool
    ) {
        let lines = horizontal ? height : width
        let length = horizontal ? width : height
        let step = horizontal ? 1 : width
        let span = Int32(2 * radius + 1)
        for line in 0..<lines {
            let base = horizontal ? line * width : line
            var sum: Int32 = 0
            for k in -radius...radius {
                sum += source[base + min(max(k, 0), length - 1) * step]
            }
            for i in 0..<length {
                target[base + i * step] = sum / span
                let leaving = min(max(i - radius, 0), length - 1)
                let entering = min(max(i + radius + 1, 0), length - 1)
                sum += source[base + entering * step] - source[base + leaving * step]
            }
        }
    }
}
