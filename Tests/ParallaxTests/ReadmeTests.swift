import Testing

@Suite struct ReadmeTests {
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
        let readme = try PackageFiles.text("README.md")
        let opening = readme.split(separator: "\n").prefix(6).joined(separator: "\n")
        #expect(opening.contains("swift run parallax demo"))
        #expect(opening.contains("swift test"))
    }

    @Test func everySwiftExampleInTheReadmeIsCompiledByTheExampleTarget() throws {
        let readme = try PackageFiles.text("README.md")
        let compiled = try ["ReadmeExample.swift", "AcrossHosts.swift", "InAServer.swift"].map {
            try PackageFiles.text("Examples/ReadmeExample/" + $0)
        }.joined(separator: "\n")
        let blocks = Self.swiftBlocks(readme)
        #expect(blocks.count >= 4)
        for block in blocks {
            #expect(compiled.contains(block), "README block not in Examples/ReadmeExample:\n\(block)")
        }
    }
}
