@testable import Parallax

/// A worker process's delegate that plays the pool in a test: every frame the worker sends, and
/// its end, go to a stream.
final class FrameStream: WorkerProcessDelegate {
    let frames: AsyncStream<Frame>
    let exits: AsyncStream<ExitReport>
    private let frameContinuation: AsyncStream<Frame>.Continuation
    private let exitContinuation: AsyncStream<ExitReport>.Continuation

    init() {
        (frames, frameContinuation) = AsyncStream.makeStream(of: Frame.self)
        (exits, exitContinuation) = AsyncStream.makeStream(of: ExitReport.self)
    }

    func received(_ frame: Frame) { frameContinuation.yield(frame) }
    func readEnded() {}
    func exited(_ report: ExitReport) { exitContinuation.yield(report) }
}
