/// An error type of the library whose name, as ``TaskError/type`` reports it, stays
/// `Parallax.<Name>` whichever module defines it: users compare it, and it crosses the wire.
package protocol StableTypeName: Error {
    /// The type's name in a ``TaskError``.
    static var stableTypeName: String { get }
}
