/// Who hears from a worker process: every frame it sends, the end of each read of its reply
/// pipe, and its end. In the pool, the ``WorkerLife`` of that process.
///
/// A ``WorkerProcess`` holds its delegate until its I/O thread has reported the end.
package protocol WorkerProcessDelegate: AnyObject, Sendable {
    /// A frame the worker sent, on the thread that reads the reply pipe: the worker's I/O thread,
    /// or a caller that claimed the pipe (see ``ReplyChannel``). One reader at a time.
    func received(_ frame: Frame)
    /// The frames of one read were all handed to ``received(_:)``; on the same thread.
    func readEnded()
    /// The process ended; called once, on its I/O thread, before the process is reaped (see
    /// ``WorkerProcess/reaped``).
    func exited(_ report: ExitReport)
}
