import Testing

@testable import Parallax

/// The frames queued for a worker go out in the order the state machine numbered them, whatever
/// order the threads queue them in.
@Suite struct OutboxTests {
    private static func frame(_ id: UInt64, _ kind: Frame.Kind = .run) -> Frame {
        Frame(kind: kind, id: id, payload: [])
    }

    private static func take(_ outbox: inout Outbox) -> [UInt64] {
        var frames: [Frame] = []
        outbox.takeReady(into: &frames)
        return frames.map(\.id)
    }

    @Test func framesQueuedInOrderAreReadyAtOnce() {
        var outbox = Outbox()
        outbox.add(Self.frame(10), sequence: 1)
        outbox.add(Self.frame(11), sequence: 2)
        #expect(Self.take(&outbox) == [10, 11])
        outbox.add(Self.frame(12), sequence: 3)
        #expect(Self.take(&outbox) == [12])
    }

    @Test func aFrameQueuedBeforeItsTurnWaitsForTheOnesNumberedBeforeIt() {
        var outbox = Outbox()
        outbox.add(Self.frame(13, .cancel), sequence: 3)
        outbox.add(Self.frame(12), sequence: 2)
        #expect(Self.take(&outbox).isEmpty)
        #expect(outbox.waitingCount == 2)
        outbox.add(Self.frame(11), sequence: 1)
        #expect(Self.take(&outbox) == [11, 12, 13])
        #expect(outbox.waitingCount == 0)
    }

    @Test func anUnnumberedFrameIsNotHeldBackByAGap() {
        var outbox = Outbox()
        outbox.add(Self.frame(2), sequence: 2)
        outbox.add(Self.frame(99, .serviceReply), sequence: nil)
        #expect(Self.take(&outbox) == [99])
        outbox.add(Self.frame(1), sequence: 1)
        #expect(Self.take(&outbox) == [1, 2])
    }
}
