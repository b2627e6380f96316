import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ReadmeTests {
    static let root: String = {
        var path = #filePath
        for _ in 0..<3 {
            while let last = path.last, last != "/" { path.removeLast() }
            path.removeLast()
        }
        return path
    }()

    static func read(_ relativePath: String) throws -> String {
        guard let file = fopen(root + "/" + relativePath, "r") else {
            throw ReadError(path: relativePath)
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    struct ReadError: Error {
        var path: String
    }

    /// The ```swift blocks of a Markdown text.
    static func swiftBlocks(_ markdown: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring]?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```swift" {
                current = []
            } else if current != nil, line == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    @Test func theReadmeOpensWithTheDemoAndTestCommands() throws {
        let readme = try Self.read("README.md")
        let opening = readme.split(separator: "\n").prefix(6).joined(separator: "\n")
        #expect(opening.contains("swift run parallax demo"))
        #expect(opening.contains("swift test"))
    }

    @Test func everySwiftExampleInTheReadmeIsCompiledByTheExampleTarget() throws {
        let readme = try Self.read("README.md")
        let compiled = try Self.read("Examples/ReadmeExample/ReadmeExample.swift")
        let blocks = Self.swiftBlocks(readme)
        #expect(blocks.count >= 4)
        for block in blocks {
            #expect(compiled.contains(block), "README block not in Examples/ReadmeExample:\n\(block)")
        }
    }
}
