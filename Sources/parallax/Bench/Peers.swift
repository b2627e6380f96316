#if canImport(Glibc)
    import Glibc
#endif

/// Runs the peer scripts under Benchmarks/peers and reads the JSON object each prints.
struct Peers {
    let directory: String?
    let quick: Bool

    /// Finds Benchmarks/peers from the working directory or from the executable's location.
    static func locate() -> String? {
        var candidates: [String] = []
        var cwd = [CChar](repeating: 0, count: 4_096)
        if getcwd(&cwd, cwd.count) != nil {
            candidates.append(
                String(decoding: cwd.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        var executable = CommandLine.arguments[0]
        for _ in 0..<4 {
            while let last = executable.last, last != "/" { executable.removeLast() }
            if !executable.isEmpty { executable.removeLast() }
            candidates.append(executable)
        }
        for base in candidates where !base.isEmpty {
            let path = base + "/Benchmarks/peers"
            if access(path + "/python_ppe.py", R_OK) == 0 { return path }
        }
        return nil
    }

    /// Runs `interpreter script`; returns the numbers of its JSON output, or nil when the
    /// interpreter or the script is missing or fails.
    func run(_ interpreter: String, _ script: String) -> [String: Double]? {
        guard let directory, let path = which(interpreter) else { return nil }
        let command = "\(path) \(directory)/\(script)\(quick ? " --quick" : "") 2>/dev/null"
        guard let pipe = popen(command, "r") else { return nil }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let count = fread(&buffer, 1, buffer.count, pipe)
            if count <= 0 { break }
            output += buffer[0..<count]
        }
        guard pclose(pipe) == 0 else { return nil }
        return Self.numbers(in: String(decoding: output, as: UTF8.self))
    }

    /// The `"key": number` pairs of a flat JSON object.
    static func numbers(in json: String) -> [String: Double] {
        var result: [String: Double] = [:]
        let body = json.drop { $0 != "{" }.dropFirst().prefix { $0 != "}" }
        for pair in body.split(separator: ",") {
            let parts = pair.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].filter { $0 != "\"" && $0 != " " && $0 != "\n" }
            let raw = parts[1].filter { $0 != " " && $0 != "\n" }
            if let value = Double(raw) { result[String(key)] = value }
        }
        return result
    }

    private func which(_ program: String) -> String? {
        let path = String(cString: getenv("PATH") ?? strdup("/usr/bin:/bin"))
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
