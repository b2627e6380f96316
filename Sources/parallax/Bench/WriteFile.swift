#if canImport(Glibc)
    import Glibc
#endif

/// Writes `text` to `path`, replacing the file.
func writeFile(_ path: String, _ text: String) throws {
    guard let file = fopen(path, "w") else { throw BenchError("cannot open \(path) for writing") }
    defer { fclose(file) }
    guard fputs(text, file) >= 0 else { throw BenchError("cannot write \(path)") }
}
