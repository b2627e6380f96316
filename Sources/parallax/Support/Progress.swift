#if canImport(Glibc)
    import Glibc
#endif

/// Says on stderr which step a long run of the command is at, so that stdout keeps only results.
func progress(_ step: String) {
    var line = Array("… \(step)\n".utf8)
    _ = line.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}
