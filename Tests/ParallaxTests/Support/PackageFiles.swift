#if canImport(Glibc)
    import Glibc
#endif

/// Files of this package, read by tests that check what is committed beside the code.
enum PackageFiles {
    /// The package's root directory.
    static let root: String = {
        var path = #filePath  // <root>/Tests/ParallaxTests/Support/PackageFiles.swift
        for _ in 0..<4 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
        return path
    }()

    struct ReadError: Error {
        var path: String
    }

    /// The bytes of the file at `relativePath` under the root.
    static func bytes(_ relativePath: String) throws -> [UInt8] {
        guard let file = fopen(root + "/" + relativePath, "rb") else { throw ReadError(path: relativePath) }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return bytes
    }

    /// The text of the file at `relativePath` under the root.
    static func text(_ relativePath: String) throws -> String {
        String(decoding: try bytes(relativePath), as: UTF8.self)
    }

    /// The names of the files in the directory at `relativePath`, without hidden ones.
    static func names(in relativePath: String) -> [String] {
        guard let directory = opendir(root + "/" + relativePath) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if !name.hasPrefix(".") { names.append(name) }
        }
        return names.sorted()
    }
}
