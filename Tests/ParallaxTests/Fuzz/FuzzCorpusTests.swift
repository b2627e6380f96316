import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Replays the committed fuzz corpus (Fuzz/corpus) through the properties the fuzzers check, so
/// that an input that once broke the wire code, or found new paths through it, keeps being tested.
@Suite struct FuzzCorpusTests {
    static let corpus: String = {
        var path = #filePath
        for _ in 0..<4 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
        return path + "/Fuzz/corpus"
    }()

    static func inputs(_ target: String) -> [[UInt8]] {
        guard let directory = opendir("\(corpus)/\(target)") else { return [] }
        defer { closedir(directory) }
        var inputs: [[UInt8]] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard !name.hasPrefix("."), let file = fopen("\(corpus)/\(target)/\(name)", "rb") else {
                continue
            }
            defer { fclose(file) }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4_096)
            while true {
                let count = fread(&chunk, 1, chunk.count, file)
                if count <= 0 { break }
                bytes += chunk[..<count]
            }
            inputs.append(bytes)
        }
        return inputs
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
