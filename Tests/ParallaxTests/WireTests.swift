import Testing

@testable import Parallax

@Suite struct WireTests {
    @Test(arguments: Frame.Kind.allCases)
    func everyFrameKindRoundTripsThroughTheDecoder(kind: Frame.Kind) throws {
        let frame = Frame(kind: kind, id: 0xDEAD_BEEF_0102, payload: Array("payload \(kind)".utf8))
        var decoder = FrameDecoder(maximumFrameSize: 1 << 20)
        decoder.append(frame.encoded())
        #expect(try decoder.next() == frame)
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func framesSplitAcrossReadsAreReassembledInOrder() throws {
        let frames = (0..<20).map {
            Frame(kind: .result, id: UInt64($0), payload: Array(repeating: UInt8($0), count: $0 * 37))
        }
        let stream = frames.flatMap { $0.encoded() }
        var decoder = FrameDecoder(maximumFrameSize: 1 << 20)
        var decoded: [Frame] = []
        for byte in stream {
            decoder.append([byte])
            while let frame = try decoder.next() { decoded.append(frame) }
        }
        #expect(decoded == frames)
    }

    @Test func largeFramesArriveWholeAcrossManySmallReads() throws {
        let large = Frame(
            kind: .result, id: 5, payload: (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let small = Frame(kind: .failure, id: 6, payload: [1, 2, 3])
        let stream = large.encoded() + small.encoded() + large.encoded()
        var decoder = FrameDecoder(maximumFrameSize: 1 << 20)
        var decoded: [Frame] = []
        var offset = 0
        while offset < stream.count {
            let end = min(stream.count, offset + 4_099)
            decoder.append(Array(stream[offset..<end]))
            offset = end
            while let frame = try decoder.next() { decoded.append(frame) }
        }
        #expect(decoded == [large, small, large])
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func aTruncatedLargeFrameIsStillMissingBytes() throws {
        let large = Frame(kind: .result, id: 5, payload: [UInt8](repeating: 9, count: 200_000)).encoded()
        var decoder = FrameDecoder(maximumFrameSize: 1 << 20)
        decoder.append(Array(large[0..<100_000]))
        #expect(try decoder.next() == nil)
        #expect(decoder.missingByteCount == large.count - 100_000)
    }

    @Test func anEmptyPayloadIsAValidFrame() throws {
        var decoder = FrameDecoder(maximumFrameSize: 64)
        decoder.append(Frame(kind: .cancel, id: 9).encoded())
        #expect(try decoder.next() == Frame(kind: .cancel, id: 9))
    }

    @Test func anUnknownKindIsATypedProtocolError() {
        var bytes = Frame(kind: .result, id: 1, payload: [1, 2, 3]).encoded()
        bytes[4] = 0x7F
        var decoder = FrameDecoder(maximumFrameSize: 1 << 20)
        decoder.append(bytes)
        #expect(throws: ProtocolError(.unknownKind(0x7F))) { try decoder.next() }
    }

    @Test func aHeaderClaimingGigabytesFailsBeforeAnythingIsAllocated() {
        var decoder = FrameDecoder(maximumFrameSize: 1 << 20)
        // 4 GiB - 1 announced, kind result, then only a few bytes.
        decoder.append([0xFF, 0xFF, 0xFF, 0xFF, Frame.Kind.result.rawValue, 0, 0])
        #expect(throws: ProtocolError(.frameTooLarge(announced: Int(UInt32.max), limit: 1 << 20))) {
            try decoder.next()
        }
        #expect(decoder.bufferedByteCount == 7)
    }

    @Test func aLengthShorterThanTheHeaderIsRejected() {
        var decoder = FrameDecoder(maximumFrameSize: 1 << 20)
        decoder.append([3, 0, 0, 0, Frame.Kind.result.rawValue, 0, 0, 0, 0])
        #expect(throws: ProtocolError(.frameTooShort(announced: 3))) { try decoder.next() }
    }

    @Test func printableGarbageBeforeAFrameIsRejected() {
        var decoder = FrameDecoder(maximumFrameSize: 64 * 1024 * 1024)
        decoder.append(Array("hello from a stray print\n".utf8) + Frame(kind: .result, id: 1).encoded())
        #expect(throws: ProtocolError.self) { try decoder.next() }
    }

    @Test func aMissingKindByteWaitsForMoreInput() throws {
        var decoder = FrameDecoder(maximumFrameSize: 64)
        decoder.append([9, 0, 0, 0])
        #expect(try decoder.next() == nil)
        #expect(decoder.missingByteCount == 9)
    }

    @Test func theHandshakeRoundTripsAndChecksMagicAndVersion() throws {
        let handshake = Handshake(registryFingerprint: 0x1234_5678_9ABC)
        #expect(try Handshake(frame: handshake.frame()) == handshake)

        var wrongVersion = handshake
        wrongVersion.version = Handshake.currentVersion + 1
        #expect(throws: ProtocolError.self) { try Handshake(frame: wrongVersion.frame()) }

        var badMagic = handshake.frame()
        badMagic.payload[0] ^= 0xFF
        #expect(throws: ProtocolError.self) { try Handshake(frame: badMagic) }

        var truncated = handshake.frame()
        truncated.payload.removeLast()
        #expect(throws: ProtocolError.self) { try Handshake(frame: truncated) }

        #expect(throws: ProtocolError.self) { try Handshake(frame: Frame(kind: .result, id: 0)) }
    }

    @Test func aRunRequestRoundTrips() throws {
        let payload = try RunRequest.payload(name: "Echo", input: 42)
        let parsed = try RunRequest(frame: Frame(kind: .run, id: 1, payload: payload))
        #expect(parsed.name == "Echo")
        #expect(try WireCodec.decode(Int.self, from: parsed.input) == 42)
    }

    @Test func aRunPayloadGivesItsInputOnlyForTheNameItCarries() throws {
        let payload = try RunRequest.payload(name: "App.Echo", input: 42)
        let input = try #require(RunRequest.input(of: payload, ifNamed: Array("App.Echo".utf8)))
        #expect(try WireCodec.decode(Int.self, from: input) == 42)
        #expect(RunRequest.input(of: payload, ifNamed: Array("App.Echx".utf8)) == nil)
        #expect(RunRequest.input(of: payload, ifNamed: Array("App.Ech".utf8)) == nil)
        #expect(RunRequest.input(of: payload, ifNamed: Array("App.Echo.Longer".utf8)) == nil)
        #expect(RunRequest.input(of: Array(payload.prefix(6)), ifNamed: Array("App.Echo".utf8)) == nil)
        let unnamed = try RunRequest.payload(name: "", input: 7)
        let empty = try #require(RunRequest.input(of: unnamed, ifNamed: []))
        #expect(try WireCodec.decode(Int.self, from: empty) == 7)
    }

    @Test func aStringThatRunsPastThePayloadIsMalformed() {
        var writer = PayloadWriter()
        writer.write(UInt32(1000))
        writer.writeRemainder(Array("short".utf8))
        #expect(throws: ProtocolError.self) {
            try RunRequest(frame: Frame(kind: .run, id: 1, payload: writer.bytes))
        }
    }

    @Test func invalidUTF8InANameIsMalformed() {
        var writer = PayloadWriter()
        writer.write(UInt32(2))
        writer.writeRemainder([0xC3, 0x28])
        #expect(throws: ProtocolError.self) {
            try RunRequest(frame: Frame(kind: .run, id: 1, payload: writer.bytes))
        }
    }
}
