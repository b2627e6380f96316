/// An error with a numeric code that survives a trip through a ``TaskError``.
///
/// ```swift
/// struct QuotaExceeded: CodedError {
///     var code: Int { 7 }
/// }
/// // A task that throws QuotaExceeded() reports `code == 7` in its slot.
/// ```
///
/// Enums backed by `Int` keep their raw value as the code without conforming.
public protocol CodedError: Error {
    /// The numeric code reported in ``TaskError/code``.
    var code: Int { get }
}
