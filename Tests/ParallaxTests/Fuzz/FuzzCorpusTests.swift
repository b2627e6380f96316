import Testing

/// Replays the committed fuzz corpus (Fuzz/corpus) through the properties the fuzzers check, so
/// that an input that once broke the wire code, or found new paths through it, keeps being tested.
@Suite struct FuzzCorpusTests {
    static func inputs(_ target: String) -> [[UInt8]] {
        PackageFiles.names(in: "Fuzz/corpus/\(target)").compactMap {
            try? PackageFiles.bytes("Fuzz/corpus/\(target)/\($0)")
        }
    }

    @Test func theFrameCorpusHoldsAndPasses() {
        let inputs = Self.inputs("frame")
        #expect(inputs.count >= 50, "Fuzz/corpus/frame is missing or small")
        for input in inputs {
            #expect(throws: Never.self, "input \(input)") { try WireFuzzing.checkFrames(input) }
        }
    }

    @Test func theCodecCorpusHoldsAndPasses() {
        let inputs = Self.inputs("codec")
        #expect(inputs.count >= 50, "Fuzz/corpus/codec is missing or small")
        for input in inputs {
            #expect(throws: Never.self, "input \(input)") { try WireFuzzing.checkCodec(input) }
        }
    }

    @Test func theCodecSeedsRoundTrip() throws {
        let seeds = try WireFuzzing.codecSeeds()
        #expect(seeds.count == 8)
        for seed in seeds {
            #expect(throws: Never.self) { try WireFuzzing.checkCodec(seed) }
        }
    }
}
