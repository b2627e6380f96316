import Parallax

enum DemoTasks {
    static let registry = TaskRegistry()
}
