public import Parallax

/// What the server's workers serve.
public enum ServerTasks {
    /// The tasks and functions of the server's workers.
    public static let registry: TaskRegistry = {
        var registry = TaskRegistry(RegexSearch.self, DecodeImage.self)
        registry.register(Blur.stripe)
        return registry
    }()
}
