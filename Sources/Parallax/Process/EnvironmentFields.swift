/// The `key=value;key=value` form in which the pool hands a setting (resource limits, privileges)
/// to a worker through one environment variable.
enum EnvironmentFields {
    /// The value that carries the fields that are set, in order; nil when none is.
    static func join(_ fields: [(key: String, value: String?)]) -> String? {
        let set = fields.compactMap { field in field.value.map { "\(field.key)=\($0)" } }
        return set.isEmpty ? nil : set.joined(separator: ";")
    }

    /// The fields of a value, in order; nil when one of them is not `key=value`.
    static func split(_ value: String) -> [(key: Substring, value: Substring)]? {
        var fields: [(key: Substring, value: Substring)] = []
        for field in value.split(separator: ";") {
            let parts = field.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            fields.append((parts[0], parts[1]))
        }
        return fields
    }
}
