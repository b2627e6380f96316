#if canImport(Glibc)
    import Glibc
#endif

/// The sanitizer the suite runs under, as `.ci/sanitizers` says through `PARALLAX_SANITIZER`.
///
/// A sanitizer's runtime owns the crash signals and the address space of every process it is in:
/// a worker that traps ends with the runtime's own exit code or signal, the runtime's backtracer
/// cannot suspend threads, a memory limit leaves no room for the shadow memory, and everything is
/// several times slower. Tests of exactly those things skip, or check less, under a sanitizer.
enum Sanitizer {
    static let active: String? = getenv("PARALLAX_SANITIZER").map { String(cString: $0) }
    static var isActive: Bool { active != nil }
}
