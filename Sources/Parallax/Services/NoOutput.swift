/// The wire form of a service method's `Void` output.
struct NoOutput: Codable, Sendable {}
